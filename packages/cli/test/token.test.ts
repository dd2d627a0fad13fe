import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { tokenCreate, tokenList, tokenRevoke } from '../src/token.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';

const PASSWORD = 'a-long-password-123';
const WHARF_BIN = new URL('../bin/wharf.js', import.meta.url).pathname;

describeEachBackend('wharf token', (backend) => {
  let w: TestWharf;
  let registry: string;
  let admin: string;
  const printed: string[] = [];
  const out = (s: string) => void printed.push(s);

  beforeAll(async () => {
    w = await createTestWharf(backend);
    admin = await addUser(w, 'ops');
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/users/ops/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'admin' } })).statusCode).toBe(200);
    registry = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());

  it('creates a token scoped to a lesser role, which the server then holds to it; lists and revokes it', async () => {
    const issued = await tokenCreate({ registry, token: admin, role: 'publisher', name: 'ci', password: PASSWORD }, out, {});
    expect(issued).toMatchObject({ role: 'publisher', name: 'ci', readonly: false });
    expect(printed.join('')).toContain(`${issued.token}\nkey ${issued.key}: role publisher. Shown once`);
    // The admin's own token may read the audit log; the scoped one may not.
    expect((await w.app.inject({ url: '/api/v1/audit', headers: bearer(admin) })).statusCode).toBe(200);
    expect((await w.app.inject({ url: '/api/v1/audit', headers: bearer(issued.token) })).statusCode).toBe(403);

    const listed = await tokenList({ registry, token: admin }, out, {});
    expect(listed.find((t) => t.key === issued.key)).toMatchObject({ role: 'publisher', name: 'ci' });
    expect(listed.find((t) => t.key === issued.key)!.token).not.toBe(issued.token);

    await tokenRevoke(issued.key, { registry, token: admin }, out, {});
    expect((await tokenList({ registry, token: admin }, out, {})).map((t) => t.key)).not.toContain(issued.key);
    expect((await w.app.inject({ url: '/-/whoami', headers: bearer(issued.token) })).statusCode).toBe(401);
  });

  it('says what is wrong: no password, a wrong one, an unknown role, an unknown key', async () => {
    await expect(tokenCreate({ registry, token: admin }, out, {})).rejects.toThrow(/password is needed/);
    await expect(tokenCreate({ registry, token: admin, password: 'wrong-password-123' }, out, {})).rejects.toThrow(/401|403/);
    await expect(tokenCreate({ registry, token: admin, password: PASSWORD, role: 'root' }, out, {})).rejects.toThrow(/400 .*role must be one of admin, release-manager, publisher, reader/);
    await expect(tokenRevoke('no-such-key', { registry, token: admin }, out, {})).rejects.toThrow(/404/);
  });

  it('runs as `wharf token create --password-stdin`, and exits non-zero with the reason', async () => {
    const run = (args: string[], input: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [WHARF_BIN, 'token', ...args, '--registry', registry, '--token', admin], (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin!.end(input);
      });
    const ok = await run(['create', '--role', 'reader', '--read-only', '--password-stdin', '--json'], `${PASSWORD}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ role: 'reader', readonly: true });
    const bad = await run(['create', '--role', 'admin', '--password-stdin'], 'not-the-password\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^wharf: POST \/-\/npm\/v1\/tokens: 40[13] /);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { adminCreate } from '../src/admin.js';
import { bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { startServer, WHARF_BIN } from './support/server.js';

const PASSWORD = 'a-long-password-123';

const run = (args: string[], input: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [WHARF_BIN, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    child.stdin!.end(input);
  });

describeEachBackend('wharf admin create', (backend) => {
  let w: TestWharf;
  let registry: string;
  beforeAll(async () => {
    w = await createTestWharf(backend, { adminToken: undefined });
    registry = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());

  it('refuses a wrong setup token (exit 1), creates the admin with the right one, then says an admin exists (exit 1)', async () => {
    const token = (await w.setup.issueToken())!;
    const wrong = await run(['admin', 'create', '--registry', registry, '--setup-token', 'wharf_setup_nope', '--name', 'root', '--password-stdin'], `${PASSWORD}\n`);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/setup token was refused: use the one printed by the latest `wharf serve`/);

    const ok = await run(['admin', 'create', '--registry', registry, '--setup-token', token, '--name', 'root', '--password-stdin'], `${PASSWORD}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    const issued = /Token \(shown once\): (\S+)/.exec(ok.stdout)![1]!;
    expect(ok.stdout).toContain(`npm config set ${registry.replace(/^http:/, '')}/:_authToken ${issued}`);
    expect((await w.app.inject({ url: '/api/v1/me', headers: bearer(issued) })).json()).toMatchObject({ name: 'root', role: 'admin' });

    const again = await run(['admin', 'create', '--registry', registry, '--setup-token', token, '--name', 'other', '--password-stdin'], `${PASSWORD}\n`);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has an admin account: sign in with it/);
  });

  it('asks for a password when none is given', async () => {
    await expect(adminCreate({ registry, setupToken: 'x', name: 'root' }, () => undefined, {})).rejects.toThrow(/a password is needed/);
  });
});

describe('wharf serve on a registry without an admin', () => {
  it('prints the first-run line with a token that works, at each start until an admin exists', async () => {
    const server = await startServer({ env: { WHARF_ADMIN_TOKEN: '' } });
    try {
      await expect.poll(() => server.log(), { timeout: 10_000 }).toMatch(/First run: create the admin account at http:\/\/127\.0\.0\.1:\d+\/cp\/setup\?token=wharf_setup_\S+ {2}\(or: wharf admin create --registry http:\/\/127\.0\.0\.1:\d+ --setup-token wharf_setup_\S+ --name NAME\)\n/);
      const token = /--setup-token (\S+)/.exec(server.log())![1]!;
      expect(await (await fetch(`${server.url}/api/v1/setup`)).json()).toEqual({ needed: true });
      const res = await fetch(`${server.url}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, name: 'root', password: PASSWORD }) });
      expect(res.status).toBe(201);
      expect(await (await fetch(`${server.url}/api/v1/setup`)).json()).toEqual({ needed: false });
    } finally {
      await server.stop();
    }
  });
});

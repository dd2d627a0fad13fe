import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERMISSIONS } from '../src/access/permissions.js';
import { ENDPOINTS } from './control-plane-endpoints.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';

const PASSWORD = 'a-long-password-123';

describeEachBackend('token role scopes', (backend) => {
  let w: TestWharf;
  /** Unscoped tokens (from adduser) of an admin and a publisher. */
  let admin: string;
  let publisher: string;

  const createToken = (token: string, body: Record<string, unknown>) =>
    w.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: bearer(token), payload: { password: PASSWORD, ...body } });
  const scoped = async (token: string, body: Record<string, unknown>): Promise<string> => {
    const res = await createToken(token, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().token;
  };
  const setRole = async (name: string, role: string) => {
    const res = await w.app.inject({ method: 'PUT', url: `/api/v1/users/${name}/role`, headers: bearer(ADMIN_TOKEN), payload: { role } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const publish = (token: string, name: string, version: string) =>
    w.app.inject({ method: 'PUT', url: `/${encodeName(name)}`, headers: bearer(token), payload: publishBody(name, version).body as object });
  const status = async (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    (await w.app.inject({ method, url, headers: bearer(token), payload })).statusCode;

  beforeAll(async () => {
    w = await createTestWharf(backend);
    admin = await addUser(w, 'u-admin');
    await setRole('u-admin', 'admin');
    publisher = await addUser(w, 'u-publisher');
  });
  afterAll(() => w.destroy());

  it("an admin's token scoped to publisher publishes, and is refused everything publishers may not do", async () => {
    const token = await scoped(admin, { role: 'publisher', name: 'ci' });
    expect((await publish(token, 'scoped-token-pkg', '1.0.0')).statusCode).toBe(201);

    const denied = ENDPOINTS.filter((e) => !(PERMISSIONS[e.permission].roles as readonly string[]).includes('publisher'));
    expect(denied.filter((e) => PERMISSIONS[e.permission].write).length).toBeGreaterThan(10);
    for (const e of denied) {
      const res = await w.app.inject({ method: e.method, url: e.url, headers: bearer(token), payload: e.body as object });
      const where = `${e.method} ${e.url}: ${res.statusCode} ${res.body}`;
      expect(res.statusCode, where).toBe(403);
      expect(res.json().error, where).toMatch(/publisher|only an admin/);
    }
    // The same user's unscoped token and the static admin token still act as admin.
    expect(await status(admin, 'GET', '/api/v1/audit')).toBe(200);
    expect(await status(ADMIN_TOKEN, 'GET', '/api/v1/audit')).toBe(200);
  });

  it('refuses a scope above the caller at creation, and lets a scoped token mint only what it may do', async () => {
    for (const role of ['admin', 'release-manager']) {
      const res = await createToken(publisher, { role });
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error).toContain(`cannot scope a token to ${role}: user u-publisher has the publisher role`);
    }
    const readerToken = await scoped(publisher, { role: 'reader' });
    expect((await publish(readerToken, 'reader-scoped-pkg', '1.0.0')).statusCode).toBe(403);
    expect((await publish(publisher, 'reader-scoped-pkg', '1.0.0')).statusCode).toBe(201);

    const ci = await scoped(admin, { role: 'release-manager' });
    const above = await createToken(ci, { role: 'admin' });
    expect(above.statusCode, above.body).toBe(403);
    expect(above.json().error).toContain('the token you are using has the release-manager role');
    const unset = await createToken(ci, {});
    expect(unset.statusCode, unset.body).toBe(201);
    expect(unset.json().role).toBe('release-manager');
    expect(await status(unset.json().token, 'GET', '/api/v1/audit')).toBe(403);
  });

  it("acts with the lesser of the scope and the user's current role", async () => {
    const demo = await addUser(w, 'u-demo');
    await setRole('u-demo', 'admin');
    const token = await scoped(demo, { role: 'release-manager' });
    expect(await status(token, 'GET', '/api/v1/rollouts')).toBe(200);
    expect(await status(token, 'GET', '/api/v1/audit')).toBe(403);

    await setRole('u-demo', 'publisher');
    expect(await status(token, 'GET', '/api/v1/rollouts')).toBe(403);
    expect((await publish(token, 'demoted-pkg', '1.0.0')).statusCode).toBe(201);

    await setRole('u-demo', 'admin');
    expect(await status(token, 'GET', '/api/v1/rollouts')).toBe(200);
    expect(await status(token, 'GET', '/api/v1/audit')).toBe(403);
  });

  it('combines with read-only', async () => {
    const token = await scoped(admin, { role: 'release-manager', readonly: true });
    expect(await status(token, 'GET', '/api/v1/flags')).toBe(200);
    const write = await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: bearer(token), payload: { version: 1, features: [] } });
    expect(write.statusCode).toBe(403);
    expect(write.json().error).toContain('read-only');
    expect(await status(token, 'GET', '/api/v1/audit')).toBe(403);
  });

  it('lists each token with its scope, null for tokens that act as the user', async () => {
    const lister = await addUser(w, 'u-lister');
    await scoped(lister, { role: 'reader', name: 'mirror' });
    const res = await w.app.inject({ url: '/-/npm/v1/tokens', headers: bearer(lister) });
    expect(res.statusCode).toBe(200);
    const objects = res.json().objects as { name?: string; role: string | null }[];
    // Both may carry the same creation millisecond, so the order is not checked.
    expect(objects.map((t) => [t.name, t.role]).sort()).toEqual([
      ['mirror', 'reader'],
      ['npm login', null],
    ]);
  });

  it('refuses an unknown role with 400 and names the roles', async () => {
    for (const role of ['root', 'Admin', 5]) {
      const res = await createToken(admin, { role });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toContain('role must be one of admin, release-manager, publisher, reader');
    }
  });
});

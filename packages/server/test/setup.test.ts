import { afterEach, beforeEach, expect, it } from 'vitest';
import { PERMISSIONS } from '../src/access/permissions.js';
import { addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';

const PASSWORD = 'a-long-password-123';

describeEachBackend('first-run setup', (backend) => {
  let w: TestWharf;
  // No static admin token: the registry as `npm start` leaves it, with no admin at all.
  beforeEach(async () => void (w = await createTestWharf(backend, { adminToken: undefined })));
  afterEach(() => w.destroy());

  const status = async () => (await w.app.inject({ url: '/api/v1/setup' })).json();
  const setup = (payload: object) => w.app.inject({ method: 'POST', url: '/api/v1/setup', payload });
  const me = (token: string) => w.app.inject({ url: '/api/v1/me', headers: bearer(token) });
  const admins = async () => (await w.store.db.selectFrom('users').select('name').where('role', '=', 'admin').execute()).map((u) => u.name);

  it('creates the first admin once with the printed token, who then holds every permission', async () => {
    expect(await status()).toEqual({ needed: true });
    const token = (await w.setup.issueToken())!;
    expect(token).toMatch(/^wharf_setup_/);

    expect((await setup({ token: 'wharf_setup_guess', name: 'root', password: PASSWORD })).statusCode).toBe(403);
    const short = await setup({ token, name: 'root', password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toMatch(/password must be at least 8 characters/);
    expect((await setup({ token, name: 'no spaces', password: PASSWORD })).statusCode).toBe(400);

    const created = await setup({ token, name: 'root', password: PASSWORD, email: 'root@example.com' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: 'root', role: 'admin', token: expect.stringMatching(/^wharf_/) });
    const answer = await me(created.json().token);
    expect(answer.json()).toEqual({ name: 'root', role: 'admin', readonly: false, permissions: Object.keys(PERMISSIONS) });
    expect((await w.app.inject({ url: '/api/v1/audit', headers: bearer(created.json().token) })).statusCode).toBe(200);

    expect(await status()).toEqual({ needed: false });
    expect(await w.setup.issueToken()).toBeNull();
    const again = await setup({ token, name: 'root2', password: PASSWORD });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatch(/already has an admin/);
    expect(await admins()).toEqual(['root']);
  });

  it('each issued token replaces the last', async () => {
    const first = (await w.setup.issueToken())!;
    const second = (await w.setup.issueToken())!;
    expect((await setup({ token: first, name: 'root', password: PASSWORD })).statusCode).toBe(403);
    expect((await setup({ token: second, name: 'root', password: PASSWORD })).statusCode).toBe(201);
  });

  it('concurrent calls with the token make exactly one admin; the others get 409', async () => {
    const token = (await w.setup.issueToken())!;
    const answers = await Promise.all(['a1', 'a2', 'a3', 'a4', 'a5'].map((name) => setup({ token, name, password: PASSWORD })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(await admins()).toEqual([answers.find((a) => a.statusCode === 201)!.json().name]);
  });

  it('refuses a name already taken, leaving the token usable', async () => {
    await addUser(w, 'alice');
    const token = (await w.setup.issueToken())!;
    const taken = await setup({ token, name: 'alice', password: PASSWORD });
    expect(taken.statusCode).toBe(400);
    expect(taken.json().error).toMatch(/alice already exists/);
    expect((await setup({ token, name: 'root', password: PASSWORD })).statusCode).toBe(201);
  });

  it('GET /api/v1/me: 401 without a token; a read-only token lists only the reads its role may do', async () => {
    expect((await w.app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
    const token = (await w.setup.issueToken())!;
    const admin = (await setup({ token, name: 'root', password: PASSWORD })).json().token as string;
    const publisher = await addUser(w, 'pub');
    expect((await me(publisher)).json()).toEqual({ name: 'pub', role: 'publisher', readonly: false, permissions: [] });

    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/users/pub/role', headers: bearer(admin), payload: { role: 'release-manager' } })).statusCode).toBe(200);
    const res = await w.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: bearer(publisher), payload: { password: PASSWORD, readonly: true } });
    const readonly = res.json().token as string;
    const reads = Object.entries(PERMISSIONS)
      .filter(([, rule]) => !rule.write && (rule.roles as readonly string[]).includes('release-manager'))
      .map(([key]) => key);
    expect(reads.length).toBeGreaterThan(0);
    expect((await me(readonly)).json()).toEqual({ name: 'pub', role: 'release-manager', readonly: true, permissions: reads });
  });
});

describeEachBackend('first-run setup with a static admin token', (backend) => {
  let w: TestWharf;
  beforeEach(async () => void (w = await createTestWharf(backend)));
  afterEach(() => w.destroy());

  it('is not needed: the admin token already acts as an admin', async () => {
    expect((await w.app.inject({ url: '/api/v1/setup' })).json()).toEqual({ needed: false });
    expect(await w.setup.issueToken()).toBeNull();
  });
});

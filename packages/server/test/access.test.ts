import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '../src/access/permissions.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';


type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

/** Every control-plane endpoint and the permission it must demand. Public client endpoints are listed apart. */
const ENDPOINTS: { method: Method; url: string; permission: Permission; body?: unknown; route?: string }[] = [
  { method: 'GET', url: '/api/v1/audit', permission: 'audit.read' },
  { method: 'GET', url: '/api/v1/audit/verify', permission: 'audit.read' },
  { method: 'PUT', url: '/api/v1/users/nobody/role', route: '/api/v1/users/:name/role', permission: 'users.set-role', body: { role: 'reader' } },
  { method: 'GET', url: '/api/v1/snapshots/schema', permission: 'snapshots.read-draft' },
  { method: 'PUT', url: '/api/v1/snapshots/schema', permission: 'snapshots.schema', body: { schema: { type: 'object' } } },
  { method: 'POST', url: '/api/v1/snapshots/draft', permission: 'snapshots.draft', body: { document: { a: 1 } } },
  { method: 'GET', url: '/api/v1/snapshots/draft', permission: 'snapshots.read-draft' },
  { method: 'POST', url: '/api/v1/snapshots/preview', permission: 'snapshots.draft' },
  { method: 'GET', url: '/api/v1/snapshots/preview', permission: 'snapshots.read-draft' },
  { method: 'POST', url: '/api/v1/snapshots/publish', permission: 'snapshots.publish' },
  { method: 'POST', url: '/api/v1/snapshots/rollback', permission: 'snapshots.publish', body: { version: 1 } },
  { method: 'GET', url: '/api/v1/snapshots/history', permission: 'snapshots.history' },
  { method: 'GET', url: '/api/v1/snapshots/versions/1', route: '/api/v1/snapshots/versions/:version', permission: 'snapshots.history' },
  { method: 'GET', url: '/api/v1/release', permission: 'release.read' },
  { method: 'PUT', url: '/api/v1/release', permission: 'release.set', body: { latest: '1.0.0', minSupported: null, message: null, url: null, mode: 'SOFT_BLOCK' } },
  { method: 'GET', url: '/api/v1/rollouts', permission: 'rollouts.read' },
  { method: 'POST', url: '/api/v1/rollouts', permission: 'rollouts.write', body: { plugin: 'nope', channel: 'beta', version: '1.0.0', percentage: 5 } },
  { method: 'GET', url: '/api/v1/rollouts/some-id', route: '/api/v1/rollouts/:id', permission: 'rollouts.read' },
  { method: 'GET', url: '/api/v1/rollouts/health?plugin=nope', route: '/api/v1/rollouts/health', permission: 'rollouts.read' },
  { method: 'POST', url: '/api/v1/rollouts/some-id/raise', route: '/api/v1/rollouts/:id/raise', permission: 'rollouts.write', body: { percentage: 50 } },
  { method: 'POST', url: '/api/v1/rollouts/some-id/halt', route: '/api/v1/rollouts/:id/halt', permission: 'rollouts.write' },
  { method: 'POST', url: '/api/v1/rollouts/some-id/resume', route: '/api/v1/rollouts/:id/resume', permission: 'rollouts.write' },
  { method: 'POST', url: '/api/v1/rollouts/some-id/rollback', route: '/api/v1/rollouts/:id/rollback', permission: 'rollouts.write' },
  { method: 'GET', url: '/api/v1/flags', permission: 'flags.read' },
  { method: 'PUT', url: '/api/v1/flags', permission: 'flags.write', body: { version: 1, features: [] } },
  { method: 'PATCH', url: '/api/v1/flags/some-flag', route: '/api/v1/flags/:key', permission: 'flags.write', body: { state: 'ON' } },
  { method: 'POST', url: '/api/v1/advisories', permission: 'advisories.import', body: { id: 'GHSA-none', modified: '2026-01-01T00:00:00Z' } },
  { method: 'GET', url: '/api/v1/policies', permission: 'vulnerability-policies.read' },
  { method: 'GET', url: '/api/v1/policies/@acme', route: '/api/v1/policies/:scope', permission: 'vulnerability-policies.read' },
  { method: 'PUT', url: '/api/v1/policies/@acme', route: '/api/v1/policies/:scope', permission: 'vulnerability-policies.set', body: { vulnerable: 'allow' } },
  // `*` has no owner: only the table can let a caller set its signature policy.
  { method: 'PUT', url: '/trust/policies/*', route: '/trust/policies/:scope', permission: 'signature-policies.set', body: { requireSignature: false } },
  { method: 'GET', url: '/api/v1/moderation/reports', permission: 'moderation.read' },
  { method: 'POST', url: '/api/v1/moderation/reports/00000000-0000-4000-8000-000000000000/resolve', route: '/api/v1/moderation/reports/:reportId/resolve', permission: 'moderation', body: { action: 'dismiss' } },
  { method: 'GET', url: '/api/v1/moderation/plugins', permission: 'moderation.read' },
  { method: 'PUT', url: '/api/v1/moderation/plugins/com.acme.nothing/state', route: '/api/v1/moderation/plugins/:id/state', permission: 'moderation', body: { state: 'published' } },
];

const PUBLIC = [
  { method: 'GET', url: '/api/v1/snapshots/published' },
  { method: 'GET', url: '/api/v1/rollouts/resolve?plugin=p&channel=stable&installId=i' },
  { method: 'POST', url: '/api/v1/rollouts/reports' },
  { method: 'GET', url: '/meta/release' },
  { method: 'GET', url: '/api/v1/advisories?package=p' },
  { method: 'GET', url: '/api/v1/advisories/GHSA-none' },
] as const;

describeEachBackend('role × endpoint matrix', (backend) => {
  let w: TestWharf;
  /** Callers: the four roles as user tokens, the static admin token, and a read-only admin-role token. */
  const callers: Record<string, { headers: Record<string, string>; role: string; readonly: boolean }> = {};
  beforeAll(async () => {
    w = await createTestWharf(backend);
    for (const role of ['admin', 'release-manager', 'publisher', 'reader'] as const) {
      const name = `u-${role}`;
      const token = await addUser(w, name);
      if (role !== 'publisher') {
        const res = await w.app.inject({ method: 'PUT', url: `/api/v1/users/${name}/role`, headers: bearer(ADMIN_TOKEN), payload: { role } });
        expect(res.statusCode, res.body).toBe(200);
      }
      callers[role] = { headers: bearer(token), role, readonly: false };
    }
    const ro = await w.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: callers.admin!.headers, payload: { password: 'a-long-password-123', readonly: true } });
    expect(ro.statusCode, ro.body).toBe(201);
    callers['admin (read-only token)'] = { headers: bearer(ro.json().token), role: 'admin', readonly: true };
    callers['static admin token'] = { headers: bearer(ADMIN_TOKEN), role: 'admin', readonly: false };
  });
  afterAll(() => w.destroy());

  it('every listed endpoint exists', () => {
    for (const e of ENDPOINTS) expect(w.app.hasRoute({ method: e.method, url: e.route ?? e.url }), `${e.method} ${e.route ?? e.url}`).toBe(true);
  });

  it('refuses anonymous callers with 401 on every endpoint', async () => {
    for (const e of ENDPOINTS) {
      const res = await w.app.inject({ method: e.method, url: e.url, payload: e.body as object });
      expect(res.statusCode, `${e.method} ${e.url}`).toBe(401);
    }
  });

  it('refuses each role without the right with 403, and lets the others through', async () => {
    const seen: string[] = [];
    for (const e of ENDPOINTS) {
      const rule = PERMISSIONS[e.permission];
      for (const [who, caller] of Object.entries(callers)) {
        const allowed = (rule.roles as readonly string[]).includes(caller.role) && !(rule.write && caller.readonly);
        const res = await w.app.inject({ method: e.method, url: e.url, headers: caller.headers, payload: e.body as object });
        const where = `${who} ${e.method} ${e.url}: ${res.statusCode} ${res.body}`;
        if (allowed) expect([401, 403], where).not.toContain(res.statusCode);
        else expect(res.statusCode, where).toBe(403);
        expect(res.statusCode, where).toBeLessThan(500);
        seen.push(`${allowed ? 'allow' : 'deny'} ${who} ${e.permission}`);
      }
    }
    // Writes are denied to publishers, readers and read-only tokens everywhere.
    for (const e of ENDPOINTS.filter((x) => PERMISSIONS[x.permission].write)) {
      for (const who of ['publisher', 'reader', 'admin (read-only token)']) expect(seen).toContain(`deny ${who} ${e.permission}`);
    }
  });

  it('keeps the client endpoints public', async () => {
    for (const e of PUBLIC) {
      const res = await w.app.inject({ method: e.method, url: e.url, payload: e.method === 'POST' ? {} : undefined });
      expect([401, 403], `${e.method} ${e.url}`).not.toContain(res.statusCode);
    }
  });

  it('takes a role change into account at the next request and audits it', async () => {
    const reader = callers.reader!;
    expect((await w.app.inject({ url: '/api/v1/rollouts', headers: reader.headers })).statusCode).toBe(403);
    await w.app.inject({ method: 'PUT', url: '/api/v1/users/u-reader/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'release-manager' } });
    expect((await w.app.inject({ url: '/api/v1/rollouts', headers: reader.headers })).statusCode).toBe(200);
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/users/u-reader/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'root' } })).statusCode).toBe(400);
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/users/ghost/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'reader' } })).statusCode).toBe(404);
    const audit = (await w.app.inject({ url: '/api/v1/audit?target=user:u-reader', headers: bearer(ADMIN_TOKEN) })).json();
    expect(audit.entries.map((e: { before: { role: string }; after: { role: string } }) => [e.before.role, e.after.role])).toEqual([
      ['publisher', 'reader'],
      ['reader', 'release-manager'],
    ]);
  });
});

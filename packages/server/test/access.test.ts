import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '../src/access/permissions.js';
import { ENDPOINTS } from './control-plane-endpoints.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';


const PUBLIC = [
  { method: 'GET', url: '/api/v1/snapshots/published' },
  { method: 'GET', url: '/api/v1/rollouts/resolve?plugin=p&channel=stable&installId=i' },
  { method: 'POST', url: '/api/v1/rollouts/reports' },
  { method: 'GET', url: '/meta/release' },
  { method: 'GET', url: '/api/v1/advisories?package=p' },
  { method: 'GET', url: '/api/v1/advisories/GHSA-none' },
  { method: 'GET', url: '/api/v1/client-config' },
  { method: 'POST', url: '/api/v1/sources/stats' },
] as const;

/** Permissions the matrix cannot reach through an endpoint, each with the reason; empty while every one has an endpoint. */
const WITHOUT_ENDPOINT: Partial<Record<Permission, string>> = {};

describe('role × endpoint matrix coverage', () => {
  it('has an endpoint for every permission in the table, or says why not', () => {
    const covered = new Set(ENDPOINTS.map((e) => e.permission));
    const missing = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => !covered.has(p) && !WITHOUT_ENDPOINT[p]);
    expect(missing, 'permissions no endpoint of control-plane-endpoints.ts demands').toEqual([]);
    // An exemption for a permission the matrix does reach is stale.
    expect(Object.keys(WITHOUT_ENDPOINT).filter((p) => covered.has(p as Permission))).toEqual([]);
  });
});

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

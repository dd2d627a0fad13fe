import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '../src/access/permissions.js';
import type { Role } from '../src/access/principal.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';

interface Caller {
  headers: Record<string, string>;
  role: Role | null;
  readonly: boolean;
}
interface Operation {
  method: string;
  url: string;
  permission: Permission | undefined;
  access: 'public' | 'user' | 'permission';
}

/**
 * Every write route of the OpenAPI document, tried by every role with a token that may write and with
 * a read-only one, and anonymously; what each may do comes from the permission table (PERMISSIONS,
 * which the document names per route). Then the npm protocol's writes, which the document does not list.
 */
describe('who may call each write route', () => {
  let w: TestWharf;
  let operations: Operation[];
  let round = 0;

  /** A user of each role with a token that may write and a read-only one, and no token at all. */
  async function makeCallers(): Promise<Record<string, Caller>> {
    const callers: Record<string, Caller> = {};
    round++;
    for (const role of ['admin', 'release-manager', 'publisher', 'reader'] as const) {
      const name = `m${round}-${role}`;
      callers[role] = { headers: bearer(await addUser(w, name)), role, readonly: false };
      if (role !== 'publisher') await w.store.db.updateTable('users').set({ role }).where('name', '=', name).execute();
      const user = (await w.store.auth.getUserByName(name))!;
      callers[`${role} (read-only token)`] = { headers: bearer((await w.auth.issueToken(user, { readonly: true })).token), role, readonly: true };
    }
    callers.anonymous = { headers: {}, role: null, readonly: false };
    return callers;
  }

  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    const doc = (await w.app.inject({ url: '/docs/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown; 'x-wharf-permission'?: Permission }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([m]) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map(([m, op]) => ({
          method: m.toUpperCase(),
          url: path.replace(/\{[^}]+\}/g, 'x'),
          permission: op['x-wharf-permission'],
          access: op['x-wharf-permission'] ? 'permission' : op.security ? 'user' : 'public',
        })),
    );
    expect(operations.length).toBeGreaterThan(30);
  });
  afterAll(() => w.destroy());

  it('each caller gets exactly what the permission table gives it on every documented write route', async () => {
    const wrong: string[] = [];
    const shared = await makeCallers();
    for (const op of operations) {
      if (op.access === 'public') continue;
      // Erasing one's account and signing out revoke the caller's tokens: those routes get callers of their own.
      const spends = op.method === 'DELETE' && (op.url === '/api/v1/users/me' || op.url === '/api/v1/sessions/current');
      const callers = spends ? await makeCallers() : shared;
      // Read-only tokens first: a writing token may end its user's account.
      for (const [who, caller] of Object.entries(callers).sort(([, a], [, b]) => Number(b.readonly) - Number(a.readonly))) {
        const res = await w.app.inject({ method: op.method as 'POST', url: op.url, headers: caller.headers, payload: {} });
        const error = res.statusCode === 401 || res.statusCode === 403 ? (res.json() as { error: string }).error : '';
        const expected =
          caller.role === null
            ? 401
            : op.access === 'permission' && !(PERMISSIONS[op.permission!].roles as readonly Role[]).includes(caller.role)
              ? 'role'
              : caller.readonly
                ? 'read-only'
                : 'allowed';
        const got = res.statusCode === 401 ? 401 : error === 'this token is read-only' ? 'read-only' : / may not /.test(error) ? 'role' : 'allowed';
        if (got !== expected) wrong.push(`${op.method} ${op.url} as ${who}: expected ${expected}, got ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a read-only token writes nothing through the npm protocol either', async () => {
    const owner = await addUser(w, 'ro-owner');
    const user = (await w.store.auth.getUserByName('ro-owner'))!;
    const readonly = bearer((await w.auth.issueToken(user, { readonly: true })).token);
    const other = await w.auth.issueToken(user, { readonly: false, name: 'keep me' });
    expect((await w.app.inject({ method: 'PUT', url: '/ro-pkg', headers: bearer(owner), payload: publishBody('ro-pkg', '1.0.0').body })).statusCode).toBe(201);
    const writes: [string, string, unknown][] = [
      ['PUT', `/${encodeName('ro-pkg')}`, publishBody('ro-pkg', '1.1.0').body],
      ['PUT', '/-/package/ro-pkg/dist-tags/beta', '1.0.0'],
      ['DELETE', '/-/package/ro-pkg/dist-tags/latest', undefined],
      ['PUT', '/ro-pkg/-rev/1-a', { name: 'ro-pkg', versions: {} }],
      ['DELETE', '/ro-pkg/-rev/1-a', undefined],
      ['DELETE', '/ro-pkg/-/ro-pkg-1.0.0.tgz/-rev/1-a', undefined],
      ['POST', '/-/package/ro-pkg/access', { access: 'public' }],
      ['POST', '/-/npm/v1/tokens', { password: 'a-long-password-123' }],
      ['DELETE', `/-/npm/v1/tokens/token/${other.key}`, undefined],
    ];
    for (const [method, url, payload] of writes) {
      const res = await w.app.inject({ method: method as 'PUT', url, headers: { ...readonly, 'content-type': 'application/json' }, payload: payload === undefined ? undefined : JSON.stringify(payload) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
      expect(res.json().error, `${method} ${url}`).toBe('this token is read-only');
    }
    expect((await w.app.inject({ url: '/-/whoami', headers: bearer(other.token) })).json()).toEqual({ username: 'ro-owner' });
    expect((await w.app.inject({ url: '/ro-pkg' })).json()['dist-tags']).toEqual({ latest: '1.0.0' });
  });
});

/** The role matrix of docs/roles.md, rendered from PERMISSIONS: the table the routes enforce is the one the docs show. */
function roleMatrix(): string {
  const roles: Role[] = ['admin', 'release-manager', 'publisher', 'reader'];
  const rows = (Object.entries(PERMISSIONS) as [Permission, { roles: readonly Role[]; write: boolean }][]).map(
    ([permission, rule]) => `| \`${permission}\` | ${roles.map((r) => (rule.roles.includes(r) ? 'yes' : '')).join(' | ')} | ${rule.write ? 'no' : 'yes'} |`,
  );
  return ['| permission | admin | release-manager | publisher | reader | read-only token |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

describe('docs/roles.md', () => {
  it('shows the permission table the server enforces', () => {
    const doc = readFileSync(new URL('../../../docs/roles.md', import.meta.url), 'utf8');
    expect(doc, `docs/roles.md must contain:\n${roleMatrix()}`).toContain(roleMatrix());
  });
});

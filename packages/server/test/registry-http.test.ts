import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';
import { packageJsonEntry, rawTgz } from './support/raw-tar.js';
import { publishDocument } from '../src/index.js';

describeEachBackend('npm registry over HTTP', (backend) => {
  let w: TestWharf;
  let alice: string;
  let bob: string;
  const put = (name: string, payload: unknown, token?: string) =>
    w.app.inject({ method: 'PUT', url: `/${encodeName(name)}`, headers: token ? bearer(token) : {}, payload: payload as object });
  const get = (url: string, headers: Record<string, string> = {}) => w.app.inject({ url, headers });

  beforeAll(async () => {
    w = await createTestWharf(backend);
    alice = await addUser(w, 'alice');
    bob = await addUser(w, 'bob');
  });
  afterAll(() => w.destroy());

  describe('publish', () => {
    it('makes the publisher the owner and refuses the same version twice with 409', async () => {
      expect((await put('@alice/one', publishBody('@alice/one', '1.0.0').body, alice)).statusCode).toBe(201);
      const again = await put('@alice/one', publishBody('@alice/one', '1.0.0').body, alice);
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toContain('previously published version 1.0.0');
      const doc = (await get('/@alice%2fone')).json();
      expect(doc.maintainers).toEqual([{ name: 'alice', email: 'alice@example.com' }]);
      expect(doc.versions['1.0.0']._npmUser.name).toBe('alice');
    });

    it('refuses anonymous callers (401) and non-owners (403), and keeps the scope to its owner', async () => {
      const anon = await put('@alice/one', publishBody('@alice/one', '1.1.0').body);
      expect(anon.statusCode).toBe(401);
      expect(anon.json().error).toMatch(/authentication required/);
      const stranger = await put('@alice/one', publishBody('@alice/one', '1.1.0').body, bob);
      expect(stranger.statusCode).toBe(403);
      expect(stranger.json().error).toContain('not an owner');
      const squat = await put('@alice/other', publishBody('@alice/other', '1.0.0').body, bob);
      expect(squat.statusCode).toBe(403);
      expect(squat.json().error).toContain('scope @alice belongs to another user');
      expect((await get('/@alice%2fother')).statusCode).toBe(404);
    });

    it('moves the tag given with --tag and leaves latest alone', async () => {
      expect((await put('@alice/one', publishBody('@alice/one', '2.0.0-beta.1', { tag: 'next' }).body, alice)).statusCode).toBe(201);
      expect((await get('/-/package/@alice%2fone/dist-tags')).json()).toEqual({ latest: '1.0.0', next: '2.0.0-beta.1' });
    });

    it.each([
      ['a version that is not strict SemVer', () => publishBody('plain', 'v1.0.0').body, 422, 'strict SemVer'],
      ['a body naming another package', () => ({ ...publishBody('plain', '1.0.0').body, name: 'other' }), 400, 'the document names other'],
      ['two versions at once', () => { const b = publishBody('plain', '1.0.0').body; return { ...b, versions: { ...b.versions, '1.0.1': { ...b.versions['1.0.0']!, version: '1.0.1' } } }; }, 400, 'exactly one version'],
      ['no attachment data', () => { const b = publishBody('plain', '1.0.0').body; return { ...b, _attachments: { 'plain-1.0.0.tgz': { data: '' } } }; }, 400, 'attachment has no data'],
      ['an integrity that does not match', () => { const b = publishBody('plain', '1.0.0').body; b.versions['1.0.0']!.dist!.integrity = `sha512-${createHash('sha512').update('other').digest('base64')}`; return b; }, 422, 'dist.integrity does not match'],
      ['a shasum that does not match', () => { const b = publishBody('plain', '1.0.0').body; b.versions['1.0.0']!.dist!.shasum = '0'.repeat(40); return b; }, 422, 'dist.shasum'],
      ['a tarball whose package.json names another version', () => { const t = rawTgz([packageJsonEntry('plain', '9.9.9')]); return publishDocument({ name: 'plain', version: '1.0.0' }, t); }, 422, 'package.json in the tarball is plain@9.9.9'],
      ['a tarball escaping package/', () => { const t = rawTgz([packageJsonEntry('plain', '1.0.0'), { path: 'package/../../x', body: 'x' }]); return publishDocument({ name: 'plain', version: '1.0.0' }, t); }, 422, 'outside package/'],
      ['a manifest whose dependencies differ from the tarball (manifest confusion)', () => publishBody('plain', '1.0.0', { manifest: { dependencies: {} }, packageJson: { dependencies: { evil: '1.0.0' } } }).body, 422, 'dependencies differ'],
      ['an invalid dist-tag', () => publishBody('plain', '1.0.0', { tag: '1.x' }).body, 400, 'invalid dist-tag'],
      ['an invalid package name', () => publishBody('Plain', '1.0.0').body, 400, 'invalid package name'],
    ])('refuses %s', async (_label, make, status, message) => {
      const body = make() as { name: string };
      const res = await w.app.inject({ method: 'PUT', url: `/${encodeName(body.name === 'other' ? 'plain' : body.name)}`, headers: bearer(alice), payload: body });
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().error).toContain(message);
      expect((await get('/plain')).statusCode).toBe(404);
    });

    it('refuses a body that is not JSON with 400 and a tarball over the size limit with 413', async () => {
      const bad = await w.app.inject({ method: 'PUT', url: '/plain', headers: { ...bearer(alice), 'content-type': 'application/json' }, payload: '{"name":' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toContain('not valid JSON');
      const small = await createTestWharf(backend, { maxTarballBytes: 64 });
      try {
        const token = await addUser(small, 'carol');
        const big = await small.app.inject({ method: 'PUT', url: '/big', headers: bearer(token), payload: publishBody('big', '1.0.0').body });
        expect(big.statusCode).toBe(413);
        expect(big.json().error).toMatch(/limit is 64|too large/);
      } finally {
        await small.destroy();
      }
    });

    it('lets exactly one of two concurrent publishes of a version win', async () => {
      const a = publishBody('race', '1.0.0', { manifest: { description: 'a' } }).body;
      const b = publishBody('race', '1.0.0', { manifest: { description: 'b' } }).body;
      const results = await Promise.all([put('race', a, alice), put('race', b, alice), put('race', a, alice)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
      const doc = (await get('/race')).json();
      const tarball = await w.app.inject({ url: new URL(doc.versions['1.0.0'].dist.tarball).pathname });
      expect(`sha512-${createHash('sha512').update(tarball.rawPayload).digest('base64')}`).toBe(doc.versions['1.0.0'].dist.integrity);
    });
  });

  describe('reading', () => {
    it('serves tarballs with immutable caching, an ETag and a matching integrity', async () => {
      const { tarball } = publishBody('@alice/one', '1.0.0');
      const res = await get('/@alice/one/-/one-1.0.0.tgz');
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.rawPayload.equals(tarball)).toBe(true);
      expect((await get('/@alice/one/-/one-1.0.0.tgz', { 'if-none-match': res.headers.etag as string })).statusCode).toBe(304);
      expect((await get('/@alice/one/-/one-7.0.0.tgz')).statusCode).toBe(404);
      expect((await get('/@alice/one/-/other-1.0.0.tgz')).statusCode).toBe(404);
    });

    it('serves a tarball under the consistent-snapshot name TUF clients ask for, <sha256 or sha512>.<file>, only with its own hash', async () => {
      const { tarball } = publishBody('@alice/one', '1.0.0');
      for (const algorithm of ['sha256', 'sha512']) {
        const res = await get(`/@alice/one/-/${createHash(algorithm).update(tarball).digest('hex')}.one-1.0.0.tgz`);
        expect(res.statusCode, algorithm).toBe(200);
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(res.rawPayload.equals(tarball)).toBe(true);
      }
      expect((await get(`/@alice/one/-/${createHash('sha256').update('other').digest('hex')}.one-1.0.0.tgz`)).statusCode).toBe(404);
      expect((await get(`/@alice/one/-/${createHash('sha512').update(tarball).digest('hex')}.one-7.0.0.tgz`)).statusCode).toBe(404);
    });

    it('answers both spellings of a scoped name and a version or tag document', async () => {
      expect((await get('/@alice/one')).json().name).toBe('@alice/one');
      expect((await get('/@alice%2Fone')).json().name).toBe('@alice/one');
      expect((await get('/@alice%2fone/latest')).json().version).toBe('1.0.0');
      expect((await get('/@alice%2fone/2.0.0-beta.1')).json().version).toBe('2.0.0-beta.1');
      expect((await get('/@alice%2fone/9.9.9')).statusCode).toBe(404);
    });

    it('changes the ETag when the package changes', async () => {
      const before = await get('/@alice%2fone');
      expect((await put('@alice/one', publishBody('@alice/one', '1.0.1').body, alice)).statusCode).toBe(201);
      const after = await get('/@alice%2fone', { 'if-none-match': before.headers.etag as string });
      expect(after.statusCode).toBe(200);
      expect(after.json()['dist-tags'].latest).toBe('1.0.1');
      expect(after.json().time['1.0.1']).toBeDefined();
    });

    it('answers unknown packages and routes with JSON 404s', async () => {
      for (const url of ['/nope', '/@x%2fnope', '/-/package/nope/dist-tags', '/-/nothing/here/at/all']) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(404);
        expect(res.json().error).toBeTypeOf('string');
      }
    });

    it('searches names, descriptions and keywords with paging, and refuses bad paging', async () => {
      await put('searchable-thing', publishBody('searchable-thing', '1.0.0', { manifest: { description: 'Exports notes to PDF', keywords: ['pdf'] } }).body, alice);
      const res = (await get('/-/v1/search?text=pdf&size=5')).json();
      expect(res.objects.map((o: { package: { name: string } }) => o.package.name)).toContain('searchable-thing');
      expect(res.objects[0].package.publisher.username).toBe('alice');
      expect((await get('/-/v1/search?text=%25_%25')).json().total).toBe(0);
      expect((await get('/-/v1/search?text=x&size=100000')).statusCode).toBe(400);
    });
  });

  describe('dist-tags, deprecation, unpublish', () => {
    it('adds and removes tags; only owners may; latest cannot be removed', async () => {
      const tag = (method: 'PUT' | 'DELETE', tagName: string, token: string, payload?: unknown) =>
        w.app.inject({ method, url: `/-/package/@alice%2fone/dist-tags/${tagName}`, headers: { ...bearer(token), 'content-type': 'application/json' }, payload: payload === undefined ? undefined : JSON.stringify(payload) });
      expect((await tag('PUT', 'stable', alice, '1.0.0')).statusCode).toBe(201);
      expect((await tag('PUT', 'stable', bob, '1.0.0')).statusCode).toBe(403);
      expect((await tag('PUT', 'stable', alice, '7.7.7')).statusCode).toBe(404);
      expect((await tag('PUT', 'stable', alice, { v: 1 })).statusCode).toBe(400);
      expect((await get('/-/package/@alice%2fone/dist-tags')).json().stable).toBe('1.0.0');
      expect((await tag('DELETE', 'stable', alice)).statusCode).toBe(200);
      expect((await tag('DELETE', 'latest', alice)).statusCode).toBe(400);
      expect((await get('/-/package/@alice%2fone/dist-tags')).json().stable).toBeUndefined();
    });

    it('deprecates and un-deprecates through the whole-document PUT npm sends', async () => {
      const doc = (await get('/@alice%2fone?write=true', bearer(alice))).json();
      doc.versions['1.0.0'].deprecated = 'use 1.0.1';
      expect((await put('@alice/one', doc, alice)).statusCode).toBe(201);
      expect((await put('@alice/one', doc, bob)).statusCode).toBe(403);
      const abbreviated = (await get('/@alice%2fone', { accept: 'application/vnd.npm.install-v1+json' })).json();
      expect(abbreviated.versions['1.0.0'].deprecated).toBe('use 1.0.1');
      doc.versions['1.0.0'].deprecated = '';
      await put('@alice/one', doc, alice);
      expect((await get('/@alice%2fone')).json().versions['1.0.0'].deprecated).toBeUndefined();
    });

    it('unpublishes a version through -rev, re-points latest, and never lets the version be reused', async () => {
      const doc = (await get('/@alice%2fone?write=true', bearer(alice))).json();
      delete doc.versions['1.0.1'];
      const res = await w.app.inject({ method: 'PUT', url: `/@alice%2fone/-rev/${doc._rev}`, headers: bearer(alice), payload: doc });
      expect(res.statusCode).toBe(201);
      const after = (await get('/@alice%2fone')).json();
      expect(Object.keys(after.versions).sort()).toEqual(['1.0.0', '2.0.0-beta.1']);
      expect(after['dist-tags'].latest).toBe('1.0.0');
      expect((await w.app.inject({ method: 'DELETE', url: `/@alice/one/-/one-1.0.1.tgz/-rev/${after._rev}`, headers: bearer(alice) })).statusCode).toBe(200);
      expect((await get('/@alice/one/-/one-1.0.1.tgz')).statusCode).toBe(404);
      const reuse = await put('@alice/one', publishBody('@alice/one', '1.0.1').body, alice);
      expect(reuse.statusCode).toBe(409);
      expect(reuse.json().error).toContain('was unpublished and cannot be reused');
    });

    it('unpublishes a whole package for its owner only', async () => {
      await put('gone-soon', publishBody('gone-soon', '1.0.0').body, alice);
      expect((await w.app.inject({ method: 'DELETE', url: '/gone-soon/-rev/1-0', headers: bearer(bob) })).statusCode).toBe(403);
      expect((await w.app.inject({ method: 'DELETE', url: '/gone-soon/-rev/1-0', headers: bearer(alice) })).statusCode).toBe(200);
      expect((await get('/gone-soon')).statusCode).toBe(404);
      expect((await put('gone-soon', publishBody('gone-soon', '1.0.0').body, alice)).statusCode).toBe(409);
      expect((await put('gone-soon', publishBody('gone-soon', '1.0.1').body, bob)).statusCode).toBe(201);
    });

    it('adds an owner through the maintainers list (npm owner add) who may then publish', async () => {
      const doc = (await get('/@alice%2fone?write=true', bearer(alice))).json();
      doc.maintainers.push({ name: 'bob', email: 'bob@example.com' });
      expect((await w.app.inject({ method: 'PUT', url: `/@alice%2fone/-rev/${doc._rev}`, headers: bearer(alice), payload: doc })).statusCode).toBe(201);
      expect((await put('@alice/one', publishBody('@alice/one', '1.2.0').body, bob)).statusCode).toBe(201);
      doc.maintainers = [{ name: 'nobody-here' }];
      expect((await w.app.inject({ method: 'PUT', url: `/@alice%2fone/-rev/${doc._rev}`, headers: bearer(alice), payload: doc })).statusCode).toBe(404);
    });
  });

  describe('accounts and tokens', () => {
    it('logs an existing user in with the right password only', async () => {
      const ok = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:alice', payload: { name: 'alice', password: 'a-long-password-123' } });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().token).toMatch(/^wharf_/);
      const wrong = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:alice', payload: { name: 'alice', password: 'nope-nope-nope' } });
      expect(wrong.statusCode).toBe(401);
      const mismatch = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:alice', payload: { name: 'mallory', password: 'a-long-password-123' } });
      expect(mismatch.statusCode).toBe(400);
      const short = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:newbie', payload: { name: 'newbie', password: 'short' } });
      expect(short.statusCode).toBe(400);
    });

    it('names the caller on whoami and answers 401 to unknown tokens', async () => {
      expect((await get('/-/whoami', bearer(alice))).json()).toEqual({ username: 'alice' });
      expect((await get('/-/whoami', bearer('wharf_not-a-token'))).statusCode).toBe(401);
      expect((await get('/-/whoami')).statusCode).toBe(401);
      expect((await get('/-/whoami', bearer(ADMIN_TOKEN))).json()).toEqual({ username: 'admin' });
    });

    it('creates, lists and revokes tokens; read-only tokens cannot publish', async () => {
      const created = await w.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: bearer(alice), payload: { password: 'a-long-password-123', readonly: true, cidr_whitelist: [] } });
      expect(created.statusCode).toBe(201);
      const readonly = created.json().token as string;
      expect((await w.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: bearer(alice), payload: { password: 'wrong-password' } })).statusCode).toBe(401);
      const list = (await get('/-/npm/v1/tokens', bearer(alice))).json();
      const listed = list.objects.find((t: { key: string }) => t.key === created.json().key);
      expect(listed.readonly).toBe(true);
      expect(JSON.stringify(list)).not.toContain(readonly);
      const denied = await put('@alice/one', publishBody('@alice/one', '3.0.0').body, readonly);
      expect(denied.statusCode).toBe(403);
      expect(denied.json().error).toContain('read-only');
      expect((await w.app.inject({ method: 'DELETE', url: `/-/npm/v1/tokens/token/${created.json().key}`, headers: bearer(alice) })).statusCode).toBe(204);
      expect((await get('/-/whoami', bearer(readonly))).statusCode).toBe(401);
      expect((await w.app.inject({ method: 'DELETE', url: `/-/npm/v1/tokens/token/${created.json().key}`, headers: bearer(alice) })).statusCode).toBe(404);
    });

    it('honours a token CIDR whitelist and refuses invalid ranges', async () => {
      const make = (cidr: string[]) => w.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: bearer(alice), payload: { password: 'a-long-password-123', cidr_whitelist: cidr } });
      expect((await make(['not-an-ip'])).statusCode).toBe(400);
      const elsewhere = (await make(['10.1.2.0/24'])).json().token;
      expect((await get('/-/whoami', bearer(elsewhere))).statusCode).toBe(401);
      const here = (await make(['127.0.0.0/8'])).json().token;
      expect((await get('/-/whoami', bearer(here))).statusCode).toBe(200);
    });

    it('closes registration by config, still letting an admin create accounts', async () => {
      const closed = await createTestWharf(backend, { openRegistration: false });
      try {
        const payload = { name: 'dave', password: 'a-long-password-123' };
        const denied = await closed.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:dave', payload });
        expect(denied.statusCode).toBe(403);
        expect(denied.json().error).toContain('registration is closed');
        expect((await closed.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:dave', headers: bearer(ADMIN_TOKEN), payload })).statusCode).toBe(201);
      } finally {
        await closed.destroy();
      }
    });

    it('rate-limits login attempts per client with a JSON 429', async () => {
      const limited = await createTestWharf(backend, { loginRateLimit: 3 });
      try {
        const attempt = () => limited.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:eve', payload: { name: 'eve', password: 'wrong-password-1' } });
        const codes = [];
        for (let i = 0; i < 5; i++) codes.push((await attempt()).statusCode);
        expect(codes.slice(3)).toEqual([429, 429]);
        const last = await attempt();
        expect(last.json().error).toContain('too many login attempts');
        expect(last.headers['retry-after']).toBeDefined();
      } finally {
        await limited.destroy();
      }
    });

    it('answers web login with a 4xx so that npm falls back to the couch flow', async () => {
      const res = await w.app.inject({ method: 'POST', url: '/-/v1/login', payload: {} });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    });
  });

  describe('operations', () => {
    it('reports health, readiness and Prometheus metrics', async () => {
      expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
      expect((await get('/readyz')).json()).toEqual({ status: 'ready', database: backend });
      const metrics = (await get('/metrics')).body;
      expect(metrics).toMatch(/wharf_publishes_total \d+/);
      expect(metrics).toMatch(/wharf_tarball_downloads_total [1-9]/);
      expect(metrics).toContain('wharf_http_request_duration_seconds_bucket');
      expect(metrics).toMatch(/wharf_http_requests_total\{method="PUT",route="\/:name",status="201"\}/);
    });
  });
});

describe('stored secrets', () => {
  it('keeps only hashes of passwords and tokens in the database', async () => {
    const w = await createTestWharf('sqlite');
    try {
      const token = await addUser(w, 'frank', 'a-secret-password-42');
      const users = await w.store.db.selectFrom('users').selectAll().execute();
      const tokens = await w.store.db.selectFrom('tokens').selectAll().execute();
      expect(JSON.stringify(users)).not.toContain('a-secret-password-42');
      expect(users.find((u) => u.name === 'frank')!.password_hash).toMatch(/^scrypt\$/);
      expect(JSON.stringify(tokens)).not.toContain(token);
    } finally {
      await w.destroy();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';
import { publish as trustPublish } from './trust-helpers.js';
import { generateKeyPair } from '@wharf/core';
import { hostVersionLimit } from '../src/marketplace/compatibility.js';

const admin = bearer(ADMIN_TOKEN);

const listing = (over: Record<string, unknown> = {}) => ({
  id: 'com.cartae.pdf-export',
  name: 'PDF Export',
  description: 'Export maps to print-ready PDF.',
  category: 'export',
  tags: ['pdf', 'export'],
  ...over,
});

describeEachBackend('marketplace API', (backend) => {
  let w: TestWharf;
  let alice: string;
  let bob: string;
  let carol: string;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: unknown) =>
    w.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const publish = async (token: string, name: string, version: string, manifest: Record<string, unknown> = {}) => {
    const res = await call('PUT', `/${encodeName(name)}`, bearer(token), publishBody(name, version, { manifest }).body);
    expect(res.statusCode, res.body).toBe(201);
  };

  beforeAll(async () => {
    w = await createTestWharf(backend);
    alice = await addUser(w, 'alice');
    bob = await addUser(w, 'bob');
    carol = await addUser(w, 'carol');
    await publish(alice, '@cartae/pdf-export', '1.0.0', { description: 'PDF export for Cartae', keywords: ['pdf'], cartae: { minVersion: '0.2.0' } });
  });
  afterAll(() => w.destroy());

  describe('listings', () => {
    it('refuses anonymous callers and malformed listings', async () => {
      expect((await call('POST', '/api/v1/plugins', {}, listing())).statusCode).toBe(401);
      for (const bad of [
        listing({ category: 'exports' }),
        listing({ id: 'PDF Export' }),
        listing({ id: 'pdf-export' }),
        listing({ name: '' }),
        listing({ tags: ['Not A Tag'] }),
        listing({ homepage: 'javascript:alert(1)' }),
        listing({ unknownField: 1 }),
        { id: 'com.x.y', name: 'x', category: 'export' },
      ]) {
        const res = await call('POST', '/api/v1/plugins', bearer(alice), bad);
        expect(res.statusCode, JSON.stringify(bad)).toBe(400);
        expect(res.json().error).toMatch(/^invalid request body/);
      }
    });

    it('lets only an owner of the package list it', async () => {
      const res = await call('POST', '/api/v1/plugins', bearer(bob), listing({ package: '@cartae/pdf-export' }));
      expect(res.statusCode).toBe(403);
      expect((await call('POST', '/api/v1/plugins', bearer(bob), listing({ package: '@cartae/nope' }))).statusCode).toBe(404);
    });

    it('keeps a new listing pending, visible to its owner and admins only, until an admin approves it', async () => {
      const res = await call('POST', '/api/v1/plugins', bearer(alice), listing({ package: '@cartae/pdf-export', homepage: 'https://cartae.app/pdf' }));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ id: 'com.cartae.pdf-export', state: 'pending', package: '@cartae/pdf-export', latestVersion: '1.0.0', minHostVersion: '0.2.0' });
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export')).statusCode).toBe(404);
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export', bearer(bob))).statusCode).toBe(404);
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export', bearer(alice))).json().state).toBe('pending');
      expect((await call('GET', '/api/v1/search?q=pdf')).json().total).toBe(0);
      expect((await call('POST', '/api/v1/plugins/com.cartae.pdf-export/install')).statusCode).toBe(404);

      const queue = await call('GET', '/api/v1/moderation/plugins', admin);
      expect(queue.json().plugins.map((p: { id: string }) => p.id)).toEqual(['com.cartae.pdf-export']);
      expect((await call('GET', '/api/v1/moderation/plugins', bearer(alice))).statusCode).toBe(403);
      const approved = await call('PUT', '/api/v1/moderation/plugins/com.cartae.pdf-export/state', admin, { state: 'published' });
      expect(approved.json().state).toBe('published');
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export')).json()).toMatchObject({ state: 'published', homepage: 'https://cartae.app/pdf' });
      expect((await call('GET', '/api/v1/search?q=pdf')).json().hits.map((h: { id: string }) => h.id)).toEqual(['com.cartae.pdf-export']);
    });

    it('refuses a second listing of the same id or package', async () => {
      expect((await call('POST', '/api/v1/plugins', bearer(alice), listing())).statusCode).toBe(409);
      expect((await call('POST', '/api/v1/plugins', bearer(alice), listing({ id: 'com.cartae.other', package: '@cartae/pdf-export' }))).statusCode).toBe(409);
    });

    it('publishes an admin\'s listing at once', async () => {
      const res = await call('POST', '/api/v1/plugins', admin, listing({ id: 'com.cartae.word-count', name: 'Word Count', description: 'Counts words.', category: 'productivity', tags: ['writing'] }));
      expect(res.json().state).toBe('published');
    });

    it('lists versions newest first with compatibility, signature status and SBOM link, and follows new publishes', async () => {
      await publish(alice, '@cartae/pdf-export', '1.1.0', { engines: { cartae: '>=0.3.0 <2' } });
      const res = await call('GET', '/api/v1/plugins/com.cartae.pdf-export/versions');
      expect(res.statusCode).toBe(200);
      expect(res.json().versions).toEqual([
        { version: '1.1.0', publishedAt: expect.any(String), deprecated: null, tags: ['latest'], compatibility: { minHostVersion: '0.3.0', engines: '>=0.3.0 <2' }, signature: { status: 'unsigned' }, sbom: { url: '/plugins/@cartae/pdf-export/1.1.0/sbom.json' } },
        { version: '1.0.0', publishedAt: expect.any(String), deprecated: null, tags: [], compatibility: { minHostVersion: '0.2.0', engines: null }, signature: { status: 'unsigned' }, sbom: { url: '/plugins/@cartae/pdf-export/1.0.0/sbom.json' } },
      ]);
      // The publish moved the listing's compatibility in the index: a 0.2 host no longer gets it.
      expect((await call('GET', '/api/v1/search?q=pdf&compatibleWith=0.2.9')).json().total).toBe(0);
      expect((await call('GET', '/api/v1/search?q=pdf&compatibleWith=0.3.0')).json().total).toBe(1);
      // …and its upper bound: `<2` leaves 2.0.0 hosts out.
      expect((await call('GET', '/api/v1/search?q=pdf&compatibleWith=1.9.9')).json().total).toBe(1);
      expect((await call('GET', '/api/v1/search?q=pdf&compatibleWith=2.0.0')).json().total).toBe(0);
      expect((await call('GET', '/api/v1/search?compatibleWith=2.0.0')).json().facets.compatibility).toEqual({ '0.3.0': 1, any: 1 });
      expect((await call('GET', '/api/v1/plugins/com.cartae.word-count/versions')).json()).toEqual({ id: 'com.cartae.word-count', package: null, versions: [] });
    });

    it('counts installs without recording the caller', async () => {
      const first = await call('POST', '/api/v1/plugins/com.cartae.pdf-export/install', bearer(bob));
      expect(first.json()).toEqual({ id: 'com.cartae.pdf-export', installs: 1 });
      expect((await call('POST', '/api/v1/plugins/com.cartae.pdf-export/install')).json().installs).toBe(2);
      expect((await call('POST', '/api/v1/plugins/com.cartae.unknown/install')).statusCode).toBe(404);
      expect((await call('GET', '/api/v1/search?q=pdf')).json().hits[0].installs).toBe(2);
    });
  });

  describe('reviews', () => {
    const url = '/api/v1/plugins/com.cartae.pdf-export/reviews';

    it('needs an account, refuses the author reviewing their own plugin and bad ratings', async () => {
      expect((await call('POST', url, {}, { rating: 5 })).statusCode).toBe(401);
      expect((await call('POST', url, bearer(alice), { rating: 5 })).statusCode).toBe(403);
      for (const rating of [0, 6, 4.5, '5']) expect((await call('POST', url, bearer(bob), { rating })).statusCode).toBe(400);
    });

    it('allows one review per user, changed with PUT, and keeps the listing rating current', async () => {
      const created = await call('POST', url, bearer(bob), { rating: 5, title: 'Great', body: 'Works well.' });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ author: 'bob', rating: 5, title: 'Great', body: 'Works well.' });
      expect((await call('POST', url, bearer(bob), { rating: 4 })).statusCode).toBe(409);
      await call('POST', url, bearer(carol), { rating: 2, body: 'Crashes on big maps.' });
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export')).json().rating).toEqual({ average: 3.5, count: 2 });
      const changed = await call('PUT', url, bearer(bob), { rating: 4, body: 'Good.' });
      expect(changed.json()).toMatchObject({ rating: 4, body: 'Good.', title: null });
      const list = await call('GET', url);
      expect(list.json().total).toBe(2);
      expect(list.json().reviews.map((r: { author: string; rating: number }) => [r.author, r.rating]).sort()).toEqual([['bob', 4], ['carol', 2]]);
      expect((await call('GET', '/api/v1/search?q=pdf&minRating=3')).json().hits[0].rating).toEqual({ average: 3, count: 2 });
      expect((await call('GET', '/api/v1/search?q=pdf&minRating=3.5')).json().total).toBe(0);
    });

    it('deletes the caller\'s own review', async () => {
      await call('POST', url, admin, { rating: 1 });
      expect((await call('DELETE', url, admin)).statusCode).toBe(204);
      expect((await call('DELETE', url, admin)).statusCode).toBe(404);
      expect((await call('PUT', url, admin, { rating: 3 })).statusCode).toBe(404);
      expect((await call('GET', url)).json().total).toBe(2);
    });

    it('pages reviews and refuses huge pages', async () => {
      const page = await call('GET', `${url}?page=2&size=1`);
      expect(page.json().reviews).toHaveLength(1);
      expect(page.json().total).toBe(2);
      expect((await call('GET', `${url}?size=100000`)).statusCode).toBe(400);
      expect((await call('GET', `${url}?page=0`)).statusCode).toBe(400);
    });
  });

  describe('moderation', () => {
    it('hides a reported review when an admin resolves the report so', async () => {
      const reviews = (await call('GET', '/api/v1/plugins/com.cartae.pdf-export/reviews')).json().reviews as { id: string; author: string }[];
      const carols = reviews.find((r) => r.author === 'carol')!;
      expect((await call('POST', '/api/v1/plugins/com.cartae.pdf-export/reports', {}, { reason: 'spam' })).statusCode).toBe(401);
      expect((await call('POST', '/api/v1/plugins/com.cartae.pdf-export/reports', bearer(bob), { reason: 'rude' })).statusCode).toBe(400);
      expect((await call('POST', '/api/v1/plugins/com.cartae.pdf-export/reports', bearer(bob), { reason: 'spam', reviewId: 'nope' })).statusCode).toBe(404);
      const report = await call('POST', '/api/v1/plugins/com.cartae.pdf-export/reports', bearer(bob), { reason: 'abuse', reviewId: carols.id, details: 'insulting' });
      expect(report.statusCode).toBe(201);
      expect(report.json()).toMatchObject({ target: 'review', state: 'open', reviewId: carols.id });
      expect((await call('GET', '/api/v1/moderation/reports', bearer(bob))).statusCode).toBe(403);
      const queue = await call('GET', '/api/v1/moderation/reports', admin);
      expect(queue.json().reports.map((r: { id: string }) => r.id)).toEqual([report.json().id]);
      const resolved = await call('POST', `/api/v1/moderation/reports/${report.json().id}/resolve`, admin, { action: 'hide-review' });
      expect(resolved.json()).toMatchObject({ state: 'resolved', resolution: 'hide-review' });
      expect((await call('POST', `/api/v1/moderation/reports/${report.json().id}/resolve`, admin, { action: 'dismiss' })).statusCode).toBe(409);
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export/reviews')).json().reviews.map((r: { author: string }) => r.author)).toEqual(['bob']);
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export')).json().rating).toEqual({ average: 4, count: 1 });
      expect((await call('GET', '/api/v1/moderation/reports?state=resolved', admin)).json().total).toBe(1);
    });

    it('suspends a reported plugin: gone from reads and search until reinstated', async () => {
      const report = await call('POST', '/api/v1/plugins/com.cartae.word-count/reports', bearer(carol), { reason: 'malware' });
      expect(report.json().target).toBe('plugin');
      expect((await call('POST', `/api/v1/moderation/reports/${report.json().id}/resolve`, admin, { action: 'hide-review' })).statusCode).toBe(400);
      expect((await call('POST', `/api/v1/moderation/reports/${report.json().id}/resolve`, admin, { action: 'suspend-plugin' })).statusCode).toBe(200);
      expect((await call('GET', '/api/v1/plugins/com.cartae.word-count')).statusCode).toBe(404);
      expect((await call('GET', '/api/v1/search?q=word')).json().total).toBe(0);
      expect((await call('GET', '/api/v1/moderation/plugins?state=suspended', admin)).json().plugins.map((p: { id: string }) => p.id)).toEqual(['com.cartae.word-count']);
      await call('PUT', '/api/v1/moderation/plugins/com.cartae.word-count/state', admin, { state: 'published' });
      expect((await call('GET', '/api/v1/search?q=word')).json().total).toBe(1);
      expect((await call('POST', '/api/v1/moderation/reports/not-a-uuid/resolve', admin, { action: 'dismiss' })).statusCode).toBe(400);
      expect((await call('PUT', '/api/v1/moderation/plugins/com.cartae.word-count/state', admin, { state: 'pending' })).statusCode).toBe(400);
    });
  });

  describe('search over HTTP', () => {
    it('returns hits, total and facets', async () => {
      const res = await call('GET', '/api/v1/search?q=pdf%20exprt');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.hits[0]).toMatchObject({ id: 'com.cartae.pdf-export', name: 'PDF Export', package: '@cartae/pdf-export', minHostVersion: '0.3.0' });
      expect(body.facets).toEqual({ categories: { export: 1 }, tags: { export: 1, pdf: 1 }, rating: { '4+': 1, '3+': 1, '2+': 1, '1+': 1, unrated: 0 }, compatibility: { '0.3.0': 1 } });
      const all = (await call('GET', '/api/v1/search?sort=downloads')).json();
      expect(all.hits.map((h: { id: string }) => h.id)).toEqual(['com.cartae.pdf-export', 'com.cartae.word-count']);
      expect(all.facets.categories).toEqual({ export: 1, productivity: 1 });
    });

    it('answers 400 to unknown facet values, bad versions and huge pages', async () => {
      for (const qs of ['category=exports', 'sort=random', 'size=100000', 'size=0', 'page=0', 'page=abc', 'minRating=9', 'minRating=-1', 'compatibleWith=latest', 'compatibleWith=1.0', `q=${'a'.repeat(201)}`, 'q=a&q=b', 'tag=Bad%20Tag']) {
        const res = await call('GET', `/api/v1/search?${qs}`);
        expect(res.statusCode, qs).toBe(400);
        expect(res.json().error).toMatch(/^invalid query parameter/);
      }
      const unknownTag = await call('GET', '/api/v1/search?tag=no-such-tag');
      expect(unknownTag.statusCode).toBe(200);
      expect(unknownTag.json().total).toBe(0);
    });

    it('treats query syntax as text: injection attempts give a valid result, never a 500', async () => {
      for (const q of ['"', '*', 'NEAR(', "')--", '"pdf', 'pdf" OR "1"="1', "'; drop table plugins; --", 'pdf AND', 'OR', '(', ')', ':*', '!&|', '\\', '%', '_', 'pdf:*', 'pdf NEAR/2 export', '^pdf', '-pdf', '{a}', 'ü', '🧩']) {
        const res = await call('GET', `/api/v1/search?q=${encodeURIComponent(q)}`);
        expect(res.statusCode, q).toBe(200);
        expect(Array.isArray(res.json().hits)).toBe(true);
      }
      // A NUL is refused at the edge, as in every URL.
      expect((await call('GET', `/api/v1/search?q=${encodeURIComponent('pdf\u0000')}`)).statusCode).toBe(400);
      // Quotes and operators are separators: what is left are plain words.
      expect((await call('GET', `/api/v1/search?q=${encodeURIComponent('"pdf* NEAR(')}`)).json().total).toBe(0);
      expect((await call('GET', `/api/v1/search?q=${encodeURIComponent('"pdf*')}`)).json().hits[0].id).toBe('com.cartae.pdf-export');
      expect((await call('GET', '/api/v1/plugins/com.cartae.pdf-export')).statusCode).toBe(200);
    });
  });

  describe('npm search', () => {
    it('uses the same index: ranked, prefix and typo tolerant, and forgets unpublished packages', async () => {
      await publish(bob, 'markdown-tables', '1.0.0', { description: 'Markdown tables editor', keywords: ['markdown'] });
      const found = await call('GET', '/-/v1/search?text=markdwn');
      expect(found.json().objects.map((o: { package: { name: string } }) => o.package.name)).toEqual(['markdown-tables']);
      expect(found.json().objects[0].package).toMatchObject({ version: '1.0.0', description: 'Markdown tables editor', keywords: ['markdown'] });
      expect((await call('GET', '/-/v1/search?text=pdf')).json().objects[0].package.name).toBe('@cartae/pdf-export');
      expect((await call('GET', `/-/v1/search?text=${encodeURIComponent('"*NEAR(')}`)).statusCode).toBe(200);
      const doc = (await call('GET', '/markdown-tables?write=true')).json();
      expect((await call('DELETE', `/markdown-tables/-rev/${doc._rev}`, bearer(bob))).statusCode).toBe(200);
      await w.marketplace.packages.idle();
      expect((await call('GET', '/-/v1/search?text=markdown')).json().total).toBe(0);
    });
  });

  describe('signatures', () => {
    it('reports each version signed, unsigned, or invalid once revoked, from the trust records', async () => {
      const key = await generateKeyPair();
      expect((await call('POST', '/trust/keys', bearer(carol), { public: key.keyval.public })).statusCode).toBe(201);
      expect((await trustPublish(w, carol, '@carol/outline', '1.0.0', key)).statusCode).toBe(201);
      expect((await trustPublish(w, carol, '@carol/outline', '1.1.0')).statusCode).toBe(201);
      expect((await trustPublish(w, carol, '@carol/outline', '1.2.0', key)).statusCode).toBe(201);
      expect((await call('POST', '/api/v1/plugins', bearer(carol), listing({ id: 'org.carol.outline', name: 'Outline', description: 'Outlines.', package: '@carol/outline' }))).statusCode).toBe(201);
      const statuses = async () =>
        Object.fromEntries((await call('GET', '/api/v1/plugins/org.carol.outline/versions', bearer(carol))).json().versions.map((v: { version: string; signature: { status: string } }) => [v.version, v.signature.status]));
      expect(await statuses()).toEqual({ '1.2.0': 'signed', '1.1.0': 'unsigned', '1.0.0': 'signed' });
      expect((await call('POST', '/trust/revocations', bearer(carol), { name: '@carol/outline', version: '1.0.0', reason: 'broken' })).statusCode).toBeLessThan(300);
      expect(await statuses()).toEqual({ '1.2.0': 'signed', '1.1.0': 'unsigned', '1.0.0': 'invalid' });
      expect((await call('DELETE', `/trust/keys/${key.keyid}`, bearer(carol))).statusCode).toBeLessThan(300);
      expect(await statuses()).toEqual({ '1.2.0': 'invalid', '1.1.0': 'unsigned', '1.0.0': 'invalid' });
    });
  });

  describe('docs', () => {
    it('serves an OpenAPI 3.1 document generated from the schemas, and a page listing it', async () => {
      const res = await call('GET', '/docs/openapi.json');
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toBe('3.1.0');
      for (const [path, method] of [
        ['/api/v1/plugins', 'post'],
        ['/api/v1/plugins/{id}', 'get'],
        ['/api/v1/plugins/{id}/versions', 'get'],
        ['/api/v1/plugins/{id}/install', 'post'],
        ['/api/v1/plugins/{id}/reviews', 'put'],
        ['/api/v1/search', 'get'],
        ['/api/v1/analytics', 'post'],
        ['/api/v1/users/me', 'delete'],
      ] as const) {
        expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      }
      const search = doc.paths['/api/v1/search'].get;
      expect(search.parameters.find((p: { name: string }) => p.name === 'category').schema.enum).toContain('export');
      expect(search.parameters.find((p: { name: string }) => p.name === 'size').schema).toMatchObject({ maximum: 100 });
      expect(doc.paths['/api/v1/plugins'].post.requestBody.content['application/json'].schema.required).toEqual(['id', 'name', 'description', 'category']);
      expect(doc.paths['/api/v1/plugins'].post.security).toEqual([{ bearer: [] }]);
      const page = await call('GET', '/docs');
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('/docs/openapi.json');
      expect(page.body).toContain('/api/v1/plugins/{id}/reviews');
    });
  });
});

describe('host version limit of an engines range', () => {
  it('is the first release above everything the range admits, null when unbounded', () => {
    expect(hostVersionLimit('^0.2.0')).toBe('0.3.0');
    expect(hostVersionLimit('>=0.3.0 <2')).toBe('2.0.0');
    expect(hostVersionLimit('<=1.4.2')).toBe('1.4.3');
    expect(hostVersionLimit('1.2.3')).toBe('1.2.4');
    expect(hostVersionLimit('^1 || ^2')).toBe('3.0.0');
    expect(hostVersionLimit('~0.3.1')).toBe('0.4.0');
    expect(hostVersionLimit('<1.0.0-beta')).toBe('1.0.0');
    expect(hostVersionLimit('>=0.1.0')).toBeNull();
    expect(hostVersionLimit('^1 || >=3')).toBeNull();
    expect(hostVersionLimit('*')).toBeNull();
    expect(hostVersionLimit(null)).toBeNull();
  });
});

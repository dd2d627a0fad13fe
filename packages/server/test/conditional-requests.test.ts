import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, type TestWharf } from './helpers.js';
import { publish } from './trust-helpers.js';

/**
 * Every route with an ETag answers If-None-Match the same way (RFC 9110): a list of tags, and weak
 * forms, which is what a cache in front sends back after compressing a strong-tagged answer
 * (nginx's gzip turns "x" into W/"x").
 */
describe('conditional requests on every ETag route', () => {
  let w: TestWharf;
  const routes = ['/@cond%2fplugin', '/@cond/plugin/-/plugin-1.0.0.tgz', '/catalog.json', '/api/v1/client-config', '/api/v1/snapshots/published', '/api/client/features'];

  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    const token = await addUser(w, 'author');
    expect((await publish(w, token, '@cond/plugin', '1.0.0')).statusCode).toBe(201);
    const admin = bearer(ADMIN_TOKEN);
    expect((await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/draft', headers: admin, payload: { document: { a: 1 } } })).statusCode).toBeLessThan(300);
    expect((await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/publish', headers: admin })).statusCode).toBeLessThan(300);
    const source = { type: 'cdn', priority: ['cdn'], sources: { cdn: 'https://cdn.example/' } };
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers: admin, payload: source })).statusCode).toBeLessThan(300);
  });
  afterAll(() => w.destroy());

  it.each(routes)('%s: 304 for its tag alone, weak, or in a list; 200 for another tag', async (url) => {
    const first = await w.app.inject({ url });
    expect(first.statusCode, first.body).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"/);
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, `W/"other" , W/${etag}`]) {
      expect((await w.app.inject({ url, headers: { 'if-none-match': inm } })).statusCode, inm).toBe(304);
    }
    for (const inm of ['"other"', etag.slice(0, -1), `${etag.slice(0, -1)}x"`]) {
      expect((await w.app.inject({ url, headers: { 'if-none-match': inm } })).statusCode, inm).toBe(200);
    }
  });
});

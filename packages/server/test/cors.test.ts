import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWharf, type TestWharf } from './helpers.js';

describe('CORS for host apps on other origins', () => {
  let open: TestWharf;
  let listed: TestWharf;
  let off: TestWharf;
  beforeAll(async () => {
    open = await createTestWharf('sqlite');
    listed = await createTestWharf('sqlite', { corsOrigins: ['https://app.cartae.example'] });
    off = await createTestWharf('sqlite', { corsOrigins: [] });
  });
  afterAll(async () => Promise.all([open, listed, off].map((w) => w.destroy())));

  it('answers the preflight of a conditional catalog poll and exposes the validator', async () => {
    const pre = await open.app.inject({
      method: 'OPTIONS',
      url: '/catalog.json',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/if-none-match/i);
    const res = await open.app.inject({ url: '/catalog.json', headers: { origin: 'https://app.example' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-expose-headers']).toMatch(/etag/);
  });

  it('limits origins to the configured list, and can be turned off', async () => {
    const good = await listed.app.inject({ url: '/trust/root.json', headers: { origin: 'https://app.cartae.example' } });
    expect(good.headers['access-control-allow-origin']).toBe('https://app.cartae.example');
    const other = await listed.app.inject({ url: '/trust/root.json', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const none = await off.app.inject({ url: '/trust/root.json', headers: { origin: 'https://app.example' } });
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CdnPurger } from '../src/cdn/index.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { publish } from './trust-helpers.js';

interface Received {
  auth: string | undefined;
  body: { paths: string[]; tags: string[]; soft: boolean };
}

/** A CDN purge API stand-in on 127.0.0.1 that fails the first `failures` calls. */
async function purgeEndpoint(failures = 0): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  let left = failures;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      if (left-- > 0) return res.writeHead(503).end();
      received.push({ auth: req.headers.authorization, body: JSON.parse(text) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/purge`, received, server };
}

it('batches requests into one soft purge per target, with the bearer token, retrying 5xx', async () => {
  const cdn = await purgeEndpoint(2);
  const purger = new CdnPurger({ targets: [{ kind: 'webhook', url: cdn.url, token: 's3cret' }], batchMs: 20, retries: 3 });
  purger.purge({ paths: ['/a'], tags: ['pkg:a'] });
  purger.purge({ paths: ['/a', '/b'], tags: ['catalog'] });
  await purger.drain();
  expect(cdn.received).toEqual([{ auth: 'Bearer s3cret', body: { paths: ['/a', '/b'], tags: ['pkg:a', 'catalog'], soft: true } }]);
  cdn.server.close();
});

it('reports a target that keeps failing instead of retrying forever', async () => {
  const cdn = await purgeEndpoint(100);
  const errors: string[] = [];
  const purger = new CdnPurger({ targets: [{ kind: 'webhook', url: cdn.url }], batchMs: 1, retries: 1, onError: (err) => errors.push((err as Error).message) });
  purger.purge({ paths: ['/x'], tags: [] });
  await purger.drain();
  expect(errors).toEqual([`purge webhook ${cdn.url} answered 503`]);
  cdn.server.close();
});

describeEachBackend('purges after changes', (backend) => {
  let w: TestWharf;
  let cdn: Awaited<ReturnType<typeof purgeEndpoint>>;
  beforeAll(async () => {
    cdn = await purgeEndpoint();
    w = await createTestWharf(backend, { purge: [{ kind: 'webhook', url: cdn.url }] });
  });
  afterAll(async () => {
    cdn.server.close();
    await w.destroy();
  });

  it('purges the package (both spellings, by tag) and the catalog on publish', async () => {
    const token = await addUser(w, 'author');
    await w.catalog.current();
    expect((await publish(w, token, '@p/one', '1.0.0')).statusCode).toBe(201);
    await w.catalog.current();
    await w.purger.drain();
    const paths = cdn.received.flatMap((r) => r.body.paths);
    const tags = cdn.received.flatMap((r) => r.body.tags);
    expect(paths).toEqual(expect.arrayContaining(['/@p/one', '/@p%2fone', '/catalog.json']));
    expect(tags).toEqual(expect.arrayContaining(['pkg:@p/one', 'catalog']));
  });

  it('purges the catalog when a revocation, a flag or a rollout changes it', async () => {
    const token = await addUser(w, 'reviser');
    expect((await publish(w, token, '@q/two', '1.0.0')).statusCode).toBe(201);
    expect((await publish(w, token, '@q/two', '1.1.0')).statusCode).toBe(201);
    const changes: [string, () => Promise<{ statusCode: number; body: string }>][] = [
      ['revocation', () => w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(token), payload: { name: '@q/two', version: '1.0.0', reason: 'broken' } })],
      ['flag', () => w.app.inject({ method: 'PATCH', url: '/api/v1/flags/purge-me', headers: bearer(ADMIN_TOKEN), payload: { state: 'ON' } })],
      ['rollout', () => w.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers: bearer(ADMIN_TOKEN), payload: { plugin: '@q/two', channel: 'stable', version: '1.1.0', percentage: 10 } })],
    ];
    for (const [what, change] of changes) {
      await w.catalog.current();
      await w.purger.drain();
      cdn.received.length = 0;
      const res = await change();
      expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(300);
      await w.catalog.current();
      await w.purger.drain();
      expect(cdn.received.flatMap((r) => r.body.paths), what).toContain('/catalog.json');
    }
  });

  it('purges the package when a rollout reaching 100 % moves its channel tag', async () => {
    const token = await addUser(w, 'roller');
    expect((await publish(w, token, '@r/three', '1.0.0')).statusCode).toBe(201);
    expect((await publish(w, token, '@r/three', '1.1.0')).statusCode).toBe(201);
    const started = await w.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers: bearer(ADMIN_TOKEN), payload: { plugin: '@r/three', channel: 'stable', version: '1.1.0', percentage: 50 } });
    expect(started.statusCode, started.body).toBe(201);
    await w.catalog.current();
    await w.purger.drain();
    cdn.received.length = 0;
    const raised = await w.app.inject({ method: 'POST', url: `/api/v1/rollouts/${started.json().id}/raise`, headers: bearer(ADMIN_TOKEN), payload: { percentage: 100 } });
    expect(raised.statusCode, raised.body).toBe(200);
    expect(raised.json().state).toBe('completed');
    await w.purger.drain();
    expect(cdn.received.flatMap((r) => r.body.paths)).toEqual(expect.arrayContaining(['/@r/three', '/@r%2fthree']));
    expect((await w.app.inject({ url: '/-/package/@r%2fthree/dist-tags' })).json().stable).toBe('1.1.0');
  });
});

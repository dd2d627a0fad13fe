import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CdnPurger } from '../src/cdn/index.js';
import { addUser, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
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
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedFetch } from '../src/net/guarded-fetch.js';

/** A name server that answers every name with `address` (a rebinding attacker's DNS). */
const resolvingTo = (address: string) =>
  ((_host: string, _opts: unknown, cb: (err: null, a: LookupAddress[]) => void) => cb(null, [{ address, family: address.includes(':') ? 6 : 4 }])) as never;

// Server-side request forgery: a URL typed by a release manager must not make the server reach itself,
// its private network or the cloud metadata service.
describe('guardedFetch', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url!);
      if (req.url === '/redirect') return res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }).end();
      if (req.url === '/big') return res.end(Buffer.alloc(5 * 1024 * 1024, 'x'));
      if (req.url === '/hang') return; // never answers
      res.end('catalog');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it.each([
    ['loopback', (p: number) => `http://127.0.0.1:${p}/a`],
    ['localhost', (p: number) => `http://localhost:${p}/a`],
    ['a decimal IPv4 literal', (p: number) => `http://2130706433:${p}/a`],
    ['0.0.0.0', (p: number) => `http://0.0.0.0:${p}/a`],
    ['IPv6 loopback', (p: number) => `http://[::1]:${p}/a`],
    ['IPv4-mapped IPv6 loopback', (p: number) => `http://[::ffff:127.0.0.1]:${p}/a`],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a private network', () => 'http://10.1.2.3/a'],
  ])('refuses %s, and nothing reaches the server', async (_label, url) => {
    hits.length = 0;
    await expect(guardedFetch()(url(port))).rejects.toThrow(/loopback, private or link-local address: not fetched/);
    expect(hits).toEqual([]);
  });

  it('refuses other schemes and credentials', async () => {
    await expect(guardedFetch()('file:///etc/passwd')).rejects.toThrow('only http and https URLs are fetched');
    await expect(guardedFetch()('http://user:pw@example.com/')).rejects.toThrow('credentials');
  });

  it('checks the address the name resolves to, and connects to that one (no DNS rebinding)', async () => {
    hits.length = 0;
    const fetchVia = guardedFetch({ lookup: resolvingTo('127.0.0.1') });
    await expect(fetchVia(`http://mirror.example:${port}/a`)).rejects.toThrow('mirror.example resolves to 127.0.0.1');
    expect(hits).toEqual([]);
  });

  it("fetches what the operator allowed, by range or by name; follows no redirect; keeps maxBytes", async () => {
    const byRange = guardedFetch({ allow: ['127.0.0.0/8'], maxBytes: 1024 });
    expect(await byRange(`http://127.0.0.1:${port}/catalog.json`)).toMatchObject({ status: 200, body: Buffer.from('catalog') });
    expect((await byRange(`http://127.0.0.1:${port}/big`)).body).toHaveLength(1024);
    const byName = guardedFetch({ allow: ['internal-mirror.example'], lookup: resolvingTo('127.0.0.1') });
    hits.length = 0;
    expect((await byName(`http://internal-mirror.example:${port}/redirect`)).status).toBe(302);
    expect(hits).toEqual(['/redirect']);
  });

  it('gives up after timeoutMs', async () => {
    await expect(guardedFetch({ allow: ['127.0.0.1'], timeoutMs: 200 })(`http://127.0.0.1:${port}/hang`)).rejects.toThrow('no answer within 200 ms');
  });
});

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer, createTestWharf, type TestWharf } from './helpers.js';
import { publishBody } from './support/packages.js';

/** GET over a real socket with a Host header of our choosing (fetch will not send a forged one). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host, accept: 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// A forged Host header used to end up in the tarball URLs of a packument that a cache in front (whose
// key ignores Host, as deploy/nginx's does) then served to everyone.
describe('the Host header and the URLs written into documents', () => {
  let w: TestWharf;
  let pub: TestWharf;
  let url: string;
  let pubUrl: string;
  beforeAll(async () => {
    [w, pub] = await Promise.all([createTestWharf('sqlite'), createTestWharf('sqlite', { publicUrl: 'https://registry.example.com/' })]);
    url = await w.app.listen({ port: 0, host: '127.0.0.1' });
    pubUrl = await pub.app.listen({ port: 0, host: '127.0.0.1' });
    for (const x of [w, pub]) expect((await x.app.inject({ method: 'PUT', url: '/host-pkg', headers: bearer(ADMIN_TOKEN), payload: publishBody('host-pkg', '1.0.0').body })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([w.destroy(), pub.destroy()]);
  });

  it('without publicUrl, tarball URLs name the address the connection reached, whatever Host says', async () => {
    const res = await getWithHost(`${url}/host-pkg`, 'evil.example');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).versions['1.0.0'].dist.tarball).toBe(`${url}/host-pkg/-/host-pkg-1.0.0.tgz`);
    const version = await getWithHost(`${url}/host-pkg/1.0.0`, 'evil.example');
    expect(JSON.parse(version.body).dist.tarball).toBe(`${url}/host-pkg/-/host-pkg-1.0.0.tgz`);
  });

  it('with publicUrl, they name it', async () => {
    const res = await getWithHost(`${pubUrl}/host-pkg`, 'evil.example');
    expect(JSON.parse(res.body).versions['1.0.0'].dist.tarball).toBe('https://registry.example.com/host-pkg/-/host-pkg-1.0.0.tgz');
  });
});

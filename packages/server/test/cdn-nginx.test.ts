import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMMUTABLE_CACHE, METADATA_CACHE } from '../src/cdn/index.js';
import { addUser, createTestWharf, type TestWharf } from './helpers.js';
import { listen, publish } from './trust-helpers.js';

const NGINX = '/usr/sbin/nginx';
const PURGE_MODULE = '/usr/lib/nginx/modules/ngx_http_cache_purge_module.so';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * deploy/nginx/wharf-cache.conf as shipped, with the origin, listen address and cache directory of
 * this test; `edit` may change it further.
 */
async function startNginx(originPort: number, port: number, edit: (site: string) => string = (site) => site): Promise<{ proc: ChildProcess; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-nginx-'));
  const site = edit(
    (await readFile(new URL('../../../deploy/nginx/wharf-cache.conf', import.meta.url), 'utf8'))
      .replaceAll('server 127.0.0.1:4873;', `server 127.0.0.1:${originPort};`)
      .replaceAll('listen 8080;', `listen 127.0.0.1:${port};`)
      .replaceAll('/var/cache/nginx/wharf', join(dir, 'cache')),
  );
  await writeFile(join(dir, 'site.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(dir, t)};`).join(' ');
  await writeFile(
    join(dir, 'nginx.conf'),
    // As root, nginx would hand its workers to "nobody", who cannot write into this private temp directory.
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}load_module ${PURGE_MODULE};\ndaemon off;\nworker_processes 1;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} warn;\nevents { worker_connections 256; }\nhttp { access_log off; ${temp} include ${join(dir, 'site.conf')}; }\n`,
  );
  const proc = spawn(NGINX, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/-/ping`);
      return { proc, dir };
    } catch {
      if (Date.now() > end) throw new Error(`nginx did not start; see ${dir}/error.log`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('Wharf behind nginx (deploy/nginx/wharf-cache.conf)', () => {
  let w: TestWharf;
  let nginx: ChildProcess;
  let edge: string;
  let token: string;
  const originRequests: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    edge = `http://127.0.0.1:${port}`;
    w = await createTestWharf('sqlite', { purge: [{ kind: 'nginx', url: edge }] });
    w.app.addHook('onRequest', async (req) => {
      originRequests.push(`${req.method} ${req.url}${req.headers['if-none-match'] ? ' (conditional)' : ''}`);
    });
    const origin = await listen(w);
    nginx = (await startNginx(Number(new URL(origin).port), port)).proc;
    token = await addUser(w, 'author');
    expect((await publish(w, token, '@edge/plugin', '1.0.0')).statusCode).toBe(201);
    await settled();
  });
  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await w?.destroy();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(edge + path, { headers });
  /** The catalog rebuilt after the last change and its purges delivered: until then a cached copy may be purged under a test. */
  const settled = async () => {
    await w.catalog.current();
    await w.purger.drain();
  };
  const status = (res: Response) => res.headers.get('x-cache-status');
  const fromOrigin = async <T>(fn: () => Promise<T>): Promise<{ result: T; reached: string[] }> => {
    const before = originRequests.length;
    const result = await fn();
    return { result, reached: originRequests.slice(before) };
  };

  it('serves immutable tarballs from cache after the first request, tagged for purge by package', async () => {
    const path = '/@edge/plugin/-/plugin-1.0.0.tgz';
    const first = await get(path);
    expect(first.status).toBe(200);
    expect(status(first)).toBe('MISS');
    expect(first.headers.get('cache-control')).toBe(IMMUTABLE_CACHE);
    expect(first.headers.get('surrogate-key')).toBe('pkg:@edge/plugin');
    const bytes = Buffer.from(await first.arrayBuffer());
    const { result: second, reached } = await fromOrigin(() => get(path));
    expect(status(second)).toBe('HIT');
    expect(Buffer.from(await second.arrayBuffer()).equals(bytes)).toBe(true);
    expect(reached).toEqual([]);
  });

  it('caches metadata with its ETag: a client revalidating gets a 304 without reaching the origin', async () => {
    const first = await get('/@edge%2fplugin');
    expect(first.headers.get('cache-control')).toBe(METADATA_CACHE);
    await first.arrayBuffer();
    const etag = first.headers.get('etag')!;
    const { result: again, reached } = await fromOrigin(() => get('/@edge%2fplugin', { 'if-none-match': etag }));
    expect(again.status).toBe(304);
    expect(status(again)).toBe('HIT');
    expect(reached).toEqual([]);
  });

  it('is purged by the origin on publish: the next read has the new version (packument and catalog)', async () => {
    await settled();
    for (const path of ['/@edge%2fplugin', '/catalog.json']) {
      await (await get(path)).arrayBuffer();
      expect(status(await get(path))).toBe('HIT');
    }
    expect((await publish(w, token, '@edge/plugin', '1.1.0')).statusCode).toBe(201);
    await settled();
    const packument = await get('/@edge%2fplugin');
    expect(status(packument)).not.toBe('HIT');
    expect(Object.keys((await packument.json()).versions)).toEqual(['1.0.0', '1.1.0']);
    const catalog = await get('/catalog.json');
    expect(status(catalog)).not.toBe('HIT');
    expect((await catalog.json()).payload.plugins[0].distTags.latest).toBe('1.1.0');
  });

  it('keeps serving cached files while the origin is down', async () => {
    w.app.server.close();
    w.app.server.closeAllConnections();
    const res = await get('/@edge/plugin/-/plugin-1.0.0.tgz');
    expect(res.status).toBe(200);
    expect(status(res)).toBe('HIT');
  });
});

describe('nginx revalidating expired metadata with the origin (deploy/nginx/wharf-cache.conf)', () => {
  let w: TestWharf;
  let nginx: ChildProcess;
  let edge: string;
  const origin: { url: string; inm: string | undefined; status: number }[] = [];

  beforeAll(async () => {
    const port = await freePort();
    edge = `http://127.0.0.1:${port}`;
    w = await createTestWharf('sqlite');
    w.app.addHook('onResponse', async (req, reply) => {
      origin.push({ url: req.url, inm: req.headers['if-none-match'] as string | undefined, status: reply.statusCode });
    });
    const base = await listen(w);
    // Metadata is fresh for the origin's max-age (300 s); here it expires after 1 s so the test sees the revalidation.
    const ageFast = (site: string) => site.replace('proxy_cache_revalidate on;', 'proxy_cache_revalidate on;\n        proxy_ignore_headers Cache-Control Expires;\n        proxy_cache_valid 200 1s;');
    nginx = (await startNginx(Number(new URL(base).port), port, ageFast)).proc;
    const token = await addUser(w, 'author');
    expect((await publish(w, token, '@stale/plugin', '1.0.0')).statusCode).toBe(201);
    await w.catalog.current();
  });
  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await w?.destroy();
  });

  it('asks the origin with If-None-Match once the copy expires, gets a 304, and serves the cached body again', async () => {
    const path = '/@stale%2fplugin';
    const first = await fetch(edge + path);
    const body = await first.text();
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    // nginx keeps time in whole seconds: 1 s of validity may last until just under 2 s.
    await new Promise((r) => setTimeout(r, 2100));
    const before = origin.length;
    const after = await fetch(edge + path);
    expect(await after.text()).toBe(body);
    // With background updates nginx may answer from the stale copy while it revalidates.
    expect(['REVALIDATED', 'UPDATING', 'STALE']).toContain(after.headers.get('x-cache-status'));
    await expect.poll(() => origin.slice(before)).toEqual([{ url: '/@stale/plugin', inm: etag, status: 304 }]);
    // The copy is current again: served from cache (a slow machine may see it expire once more, which costs another 304, never a full answer).
    const seen = origin.length;
    const again = await fetch(edge + path);
    expect(await again.text()).toBe(body);
    expect(origin.slice(seen).filter((r) => r.status !== 304)).toEqual([]);
  });
});


import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTrustedMetadataStore, TrustClient, consistentTargetPath, signPackage, targetPath, type FetchLike, type KeyPairFile, type TrustClientOptions } from '@wharf/core';
import { packDirectory, publishDocument, tarballFileHashes } from '@wharf/tarball/node';
import type { TestWharf } from './helpers.js';
import { bearer } from './helpers.js';

/** A package directory with package.json and index.js, packed like npm does. */
export async function packPlugin(name: string, version: string, body = `module.exports = ${JSON.stringify(version)};\n`): Promise<{ manifest: { name: string; version: string }; tarball: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-trust-pkg-'));
  const manifest = { name, version };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'index.js'), body);
  return { manifest, tarball: await packDirectory(dir) };
}

/** The npm publish body, signed with `key` the way `wharf publish --key` does when a key is given. */
export async function publishBody(name: string, version: string, key?: KeyPairFile, body?: string) {
  const { manifest, tarball } = await packPlugin(name, version, body);
  const doc = publishDocument(manifest, tarball);
  (doc.versions[version] as Record<string, unknown>).gitHead = 'a1b2c3d4e5f6';
  if (key) {
    const files = await tarballFileHashes(tarball);
    const integrity = (doc.versions[version]!.dist as { integrity: string }).integrity;
    const sig = signPackage(key, { name, version, integrity, files });
    (doc.versions[version] as Record<string, unknown>).wharf = { files, signature: { keyid: key.keyid, sig } };
  }
  return doc;
}

export async function publish(w: TestWharf, token: string, name: string, version: string, key?: KeyPairFile) {
  return w.app.inject({ method: 'PUT', url: `/${name.replace('/', '%2f')}`, headers: bearer(token), payload: await publishBody(name, version, key) });
}

/** The URL path a client fetches a version's tarball from under consistent snapshots: `<sha512>.<file>` (what a tampering mirror must serve). */
export async function servedTarballPath(w: TestWharf, name: string, version: string): Promise<string> {
  const path = targetPath(name, version);
  const targets = JSON.parse((await w.app.inject({ url: '/trust/targets.json' })).body).signed.targets as Record<string, { hashes: Record<string, string> }>;
  return `/${consistentTargetPath(path, targets[path]!.hashes)}`;
}

/** fetch over Fastify's inject: no socket, same bytes. */
export function injectFetch(w: TestWharf): FetchLike {
  return async (url) => {
    const res = await w.app.inject({ url: new URL(url).pathname });
    return new Response(res.statusCode === 204 || res.statusCode === 304 ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: res.headers as Record<string, string> });
  };
}

export async function listen(w: TestWharf): Promise<string> {
  await w.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(w.app.server.address() as AddressInfo).port}`;
}

/** A client pinned to the server's current root. */
export async function pinnedClient(base: string, fetch: FetchLike, extra: Partial<TrustClientOptions> = {}): Promise<{ client: TrustClient; store: MemoryTrustedMetadataStore }> {
  const store = new MemoryTrustedMetadataStore();
  const root = await (await fetch(`${base}/trust/1.root.json`)).text();
  await TrustClient.initialise(store, root);
  return { client: new TrustClient({ metadataUrl: `${base}/trust/`, targetsUrl: `${base}/`, fetch, store, ...extra }), store };
}

export interface HostileMirror {
  url: string;
  /** Replaces the response for a path (exact, e.g. `/trust/timestamp.json`): bytes, or a function of the honest bytes. */
  override(path: string, body: Buffer | string | ((honest: Buffer) => Buffer | string)): void;
  /** Streams `bytes` forever for a path (endless data). */
  endless(path: string): void;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server between client and origin, under the test's control: it relays the
 * origin's bytes unless told to serve something else.
 */
export async function hostileMirror(origin: string): Promise<HostileMirror> {
  const overrides = new Map<string, Buffer | string | ((honest: Buffer) => Buffer | string)>();
  const endless = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (endless.has(path)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (res.write(chunk)) {
          /* keep writing until the socket pushes back */
        }
      };
      res.on('drain', pump);
      res.on('close', () => res.off('drain', pump));
      pump();
      return;
    }
    const upstream = await fetch(origin + path);
    let body: Buffer = Buffer.from(await upstream.arrayBuffer());
    let status = upstream.status;
    const o = overrides.get(path);
    if (o !== undefined) {
      const replaced = typeof o === 'function' ? o(body) : o;
      body = Buffer.isBuffer(replaced) ? replaced : Buffer.from(replaced);
      status = 200;
    }
    res.writeHead(status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    override: (path, body) => overrides.set(path, body),
    endless: (path) => endless.add(path),
    reset: () => {
      overrides.clear();
      endless.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { packDirectory, publishDocument } from '../../server/src/index.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, type TestWharf } from '../../server/test/helpers.js';
import { listen } from '../../server/test/trust-helpers.js';
import { CatalogManager, MemoryStore, PluginInstaller, type ByteStore, type PluginInstallerOptions } from '../src/index.js';

/** An ESM plugin whose activate(api) calls api.register with its version and what `extra` adds. */
export const pluginSource = (version: string, extra = '') => `export function activate(api) {\n  ${extra}\n  return api.register(${JSON.stringify(version)});\n}\n`;

/** Packs a directory of files (package.json added: ESM, `module` entry) and publishes it like npm. */
export async function publishPlugin(w: TestWharf, token: string, name: string, version: string, opts: { files?: Record<string, string | Uint8Array>; packageJson?: Record<string, unknown>; tag?: string } = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-sdk-plugin-'));
  try {
    const manifest = { name, version, type: 'module', module: 'index.js', ...opts.packageJson };
    const files = { 'index.js': pluginSource(version), ...opts.files, 'package.json': JSON.stringify(manifest) };
    for (const [path, body] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), body);
    }
    const res = await w.app.inject({ method: 'PUT', url: `/${name.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir), opts.tag) });
    expect(res.statusCode, res.body).toBe(201);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function revoke(w: TestWharf, token: string, name: string, version: string, reason = 'compromised build'): Promise<void> {
  const res = await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(token), payload: { name, version, reason } });
  expect(res.statusCode, res.body).toBeLessThan(300);
}

/** `npm deprecate`: the whole document back with a message on one version. */
export async function deprecate(w: TestWharf, token: string, name: string, version: string, message: string): Promise<void> {
  const url = `/${name.replace('/', '%2f')}`;
  const doc = (await w.app.inject({ url })).json() as { versions: Record<string, Record<string, unknown>> };
  doc.versions[version]!.deprecated = message;
  const res = await w.app.inject({ method: 'PUT', url, headers: bearer(token), payload: doc });
  expect(res.statusCode, res.body).toBeLessThan(300);
}

/** A staged rollout of `version` on a channel, as an admin starts it. */
export async function startRollout(w: TestWharf, plugin: string, channel: string, version: string, percentage: number): Promise<void> {
  const res = await w.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers: bearer(ADMIN_TOKEN), payload: { plugin, channel, version, percentage } });
  expect(res.statusCode, res.body).toBe(201);
}

export interface Harness {
  w: TestWharf;
  base: string;
  token: string;
  root: string;
  /** A catalog manager (initialised) and installer over one store, talking to the server through `fetch`. */
  client(opts?: Partial<PluginInstallerOptions> & { store?: ByteStore; fetch?: typeof fetch }): Promise<{ catalog: CatalogManager; installer: PluginInstaller; store: ByteStore }>;
  destroy(): Promise<void>;
}

/** A listening SQLite server with a publishing user, and clients pinned to its root. */
export async function harness(): Promise<Harness> {
  const w = await createTestWharf('sqlite');
  const token = await addUser(w, 'author');
  const base = await listen(w);
  const root = await (await fetch(`${base}/trust/1.root.json`)).text();
  const clients: PluginInstaller[] = [];
  return {
    w,
    base,
    token,
    root,
    async client(opts = {}) {
      const store = opts.store ?? new MemoryStore();
      const catalog = new CatalogManager({ baseUrl: base, root, store, fetch: opts.fetch });
      await catalog.initialize();
      const installer = new PluginInstaller({ installId: 'install-1', ...opts, catalog, store });
      clients.push(installer);
      return { catalog, installer, store };
    },
    async destroy() {
      for (const c of clients) c.dispose();
      await w.destroy();
    },
  };
}

import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Wharf } from './app.js';
import { packDirectory, publishDocument } from './registry/pack.js';

const SAMPLES_DIR = fileURLToPath(new URL('../samples', import.meta.url));
export const SAMPLES_USER = 'wharf-samples';

/**
 * Publishes the bundled sample plugins through the ordinary publish path, once: on a fresh data dir
 * `npm start` then shows a registry with something in it. Returns the names published now.
 */
export async function publishSamples(wharf: Wharf): Promise<string[]> {
  const user = await wharf.auth.ensureSystemUser(SAMPLES_USER, 'publisher');
  const principal = { userId: user.id, name: user.name, role: 'publisher' as const, readonly: false, tokenKey: null };
  const published: string[] = [];
  for (const dir of (await readdir(SAMPLES_DIR)).sort()) {
    const root = join(SAMPLES_DIR, dir);
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
    if (await wharf.store.packages.getPackage(manifest.name)) continue;
    await wharf.registry.publish(principal, manifest.name, publishDocument(manifest, await packDirectory(root)));
    published.push(manifest.name);
  }
  return published;
}

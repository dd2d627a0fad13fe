import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { PluginListingInputSchema } from '@wharf/core';
import type { Wharf } from './app.js';
import { packDirectory, publishDocument } from '@wharf/tarball/node';

const SAMPLES_DIR = fileURLToPath(new URL('../samples', import.meta.url));
export const SAMPLES_USER = 'wharf-samples';

interface SampleManifest extends Record<string, unknown> {
  name: string;
  version: string;
  description: string;
  keywords?: string[];
  cartae: { id: string; name: string; category: string };
}

/**
 * Publishes the bundled sample plugins through the ordinary publish path and lists each one in the
 * marketplace, once: on a fresh data dir `npm start` then shows a registry and a marketplace with
 * something in them, so that `wharf search` and `wharf info com.cartae.pdf-export` answer. A data
 * dir whose samples predate their listings gets the listings on the next start. Returns the names
 * published now.
 */
export async function publishSamples(wharf: Wharf): Promise<string[]> {
  const user = await wharf.auth.ensureSystemUser(SAMPLES_USER, 'publisher');
  const principal = { userId: user.id, name: user.name, role: 'publisher' as const, readonly: false, tokenKey: null };
  const published: string[] = [];
  for (const dir of (await readdir(SAMPLES_DIR)).sort()) {
    const root = join(SAMPLES_DIR, dir);
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as SampleManifest;
    if (!(await wharf.store.packages.getPackage(manifest.name))) {
      await wharf.registry.publish(principal, manifest.name, publishDocument(manifest, await packDirectory(root)));
      published.push(manifest.name);
    }
    if (!(await wharf.marketplace.service.repo.listingForPackage(manifest.name))) {
      const listing = PluginListingInputSchema.parse({
        id: manifest.cartae.id,
        name: manifest.cartae.name,
        description: manifest.description,
        category: manifest.cartae.category,
        package: manifest.name,
        tags: (manifest.keywords ?? []).filter((k) => k !== 'cartae-plugin'),
        publisher: 'Wharf samples',
      });
      await wharf.marketplace.service.createListing(principal, listing, true);
    }
  }
  return published;
}

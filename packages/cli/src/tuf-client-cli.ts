import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrustClient } from '@wharf/core';
import { FileTrustedMetadataStore } from './trust-store.js';

/**
 * The tuf-conformance CLIENT-CLI contract on Wharf's verifier:
 *   --metadata-dir DIR init TRUSTED_ROOT
 *   --metadata-dir DIR --metadata-url URL refresh
 *   --metadata-dir DIR --metadata-url URL --target-name NAME --target-base-url URL --target-dir DIR download
 * Exit 0 on success, 1 on any failure.
 */
export async function tufClientMain(argv: string[]): Promise<number> {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) flags.set(a.slice(2), argv[++i] ?? '');
    else positional.push(a);
  }
  const [command, arg] = positional;
  const metadataDir = flags.get('metadata-dir');
  if (!metadataDir) throw new Error('--metadata-dir is required');
  const store = new FileTrustedMetadataStore(metadataDir);
  if (command === 'init') {
    if (!arg) throw new Error('init needs the trusted root file');
    await TrustClient.initialise(store, await readFile(arg, 'utf8'));
    return 0;
  }
  const metadataUrl = flags.get('metadata-url');
  if (!metadataUrl) throw new Error('--metadata-url is required');
  const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`);
  const client = new TrustClient({ metadataUrl: withSlash(metadataUrl), targetsUrl: withSlash(flags.get('target-base-url') ?? metadataUrl), fetch, store });
  await client.refresh();
  if (command === 'refresh') return 0;
  if (command === 'download') {
    const name = flags.get('target-name');
    const dir = flags.get('target-dir');
    if (!name || !dir) throw new Error('download needs --target-name and --target-dir');
    const bytes = await client.download(name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, encodeURIComponent(name)), bytes);
    return 0;
  }
  throw new Error(`unknown command ${command ?? '(none)'}: init, refresh or download`);
}

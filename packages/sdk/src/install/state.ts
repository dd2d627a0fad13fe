import * as z from 'zod/mini';
import { checkKey, type ByteStore } from '../storage/store.js';
import { PluginError } from './errors.js';

/**
 * The installer's record of one plugin, kept at `plugins/<name>/state.json`. It is the only thing
 * that says which version runs, and it is written last, in one atomic `set`: files it names are
 * always already stored, so a crash or a refused download leaves the previous record in force.
 */
export const PluginStateSchema = z.object({
  name: z.string().check(z.minLength(1)),
  /** The version that runs; null when none may (uninstalled versions, or every installed one revoked). */
  active: z.nullable(z.string()),
  /** Versions that were active before, most recent first: where `rollback` goes. */
  previous: z.array(z.string()),
  /** Stored, verified versions, newest install first (a pre-downloaded update is here before it is active). */
  versions: z.array(
    z.object({
      version: z.string(),
      /** The sha512 SRI of what is stored: the signed tarball's, or for `files` the pack's (see file-pack.ts). */
      integrity: z.string(),
      installedAt: z.string(),
      /** Absent: the tarball is stored. `files`: the files, as a delta update produced them. */
      form: z.optional(z.literal('files')),
      /** For a delta update: the version it started from and the bytes downloaded, against the full tarball's. */
      delta: z.optional(z.object({ from: z.string(), bytes: z.int(), fullBytes: z.int() })),
    }),
  ),
  /** Set when the active version was revoked and no installed version could take its place. */
  disabled: z.nullable(z.object({ version: z.string(), reason: z.string() })),
});
export type PluginState = z.infer<typeof PluginStateSchema>;

/** `@scope/name` → `@scope+name`: one key segment, and unambiguous (npm names never contain `+`). */
const segment = (name: string) => name.replace('/', '+');

export const pluginPrefix = (name: string) => `plugins/${segment(name)}/`;
export const stateKey = (name: string) => `${pluginPrefix(name)}state.json`;
export const tarballKey = (name: string, version: string) => `${pluginPrefix(name)}${version}/package.tgz`;
export const filesKey = (name: string, version: string) => `${pluginPrefix(name)}${version}/files.pack`;

/** Throws on a name or version that cannot be a storage key (they come from the caller and the catalog). */
export function checkNameVersion(name: string, version?: string): void {
  checkKey(version === undefined ? stateKey(name) : tarballKey(name, version));
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export async function readState(store: ByteStore, name: string): Promise<PluginState | null> {
  const bytes = await store.get(stateKey(name));
  if (bytes === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new PluginError('corrupt-state', name, `${stateKey(name)} is not JSON`);
  }
  const parsed = PluginStateSchema.safeParse(json);
  if (!parsed.success || parsed.data.name !== name) throw new PluginError('corrupt-state', name, `${stateKey(name)} is not this plugin's state record: uninstall and install it again`);
  return parsed.data;
}

export const writeState = (store: ByteStore, state: PluginState): Promise<void> => store.set(stateKey(state.name), encoder.encode(JSON.stringify(state)));

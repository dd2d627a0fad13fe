import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import semver from 'semver';
import { TrustClient, isTrustError } from '@wharf/core';
import { DEFAULT_SERVER_URL } from './control-plane.js';
import { FileTrustedMetadataStore } from './trust-store.js';
import { unpackVerified, UnpackError } from './trust-unpack.js';

export interface VerifyOptions {
  registry?: string;
  /** The pinned root, obtained out of band. */
  root: string;
  /** Where trusted metadata is kept between runs (default ~/.wharf/trust/<host>). */
  state?: string;
}

export interface InstallOptions extends VerifyOptions {
  dir: string;
}

/** `name@version` or `name@range` (scoped names keep their leading @). */
export function parseSpec(spec: string): { name: string; range: string | null } {
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), range: spec.slice(at + 1) } : { name: spec, range: null };
}

/** A client on the registry's /trust/ metadata, trusting the pinned root on first use of the state dir. */
export async function openTrustClient(opts: VerifyOptions): Promise<TrustClient> {
  const registry = (opts.registry ?? process.env.WHARF_REGISTRY ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');
  const state = opts.state ?? process.env.WHARF_TRUST_STATE ?? join(homedir(), '.wharf', 'trust', new URL(registry).host.replace(/[^a-z0-9.-]/gi, '_'));
  const store = new FileTrustedMetadataStore(state);
  if ((await store.load('root')) === null) await TrustClient.initialise(store, await readFile(opts.root, 'utf8'));
  return new TrustClient({ metadataUrl: `${registry}/trust/`, targetsUrl: `${registry}/`, fetch, store });
}

/** Prints the failed check and sets a non-zero exit code; rethrows anything that is not a verification failure. */
function fail(err: unknown): false {
  if (isTrustError(err) || err instanceof UnpackError) {
    const check = isTrustError(err) ? err.code : 'file-hash';
    process.stderr.write(`wharf: verification failed [${check}]: ${isTrustError(err) ? err.message.slice(err.code.length + 2) : err.message}\n`);
    process.exitCode = 1;
    return false;
  }
  throw err;
}

async function fetchVerified(client: TrustClient, name: string, version: string) {
  const pkg = await client.fetchPackage(name, version);
  const files = await unpackVerified(pkg.bytes, pkg.files);
  return { pkg, files };
}

/** `wharf verify <name>@<version>`: every signature, threshold, expiry, version and hash, down to each file. */
export async function verifyCommand(spec: string, opts: VerifyOptions): Promise<boolean> {
  const { name, range } = parseSpec(spec);
  if (!range || !semver.valid(range)) throw new Error(`give an exact version: wharf verify ${name}@<version>`);
  try {
    const client = await openTrustClient(opts);
    await client.refresh();
    const { pkg, files } = await fetchVerified(client, name, range);
    const by = pkg.signedBy ? `signed by publisher key ${pkg.signedBy}` : 'published unsigned (registry countersigned)';
    process.stdout.write(`verified ${name}@${range}: ${pkg.integrity}, ${files.size} files, ${by}\n`);
    return true;
  } catch (err) {
    return fail(err);
  }
}

const RECORD = '.wharf-installed.json';

/**
 * `wharf install <name>[@range] --dir DIR`: picks the highest non-revoked version the signed
 * catalog lists, verifies it completely in memory, then writes it to DIR/<name>. Installed
 * versions that were revoked since are reported (exit 1).
 */
export async function installCommand(spec: string, opts: InstallOptions): Promise<boolean> {
  const { name, range } = parseSpec(spec);
  try {
    const client = await openTrustClient(opts);
    await client.refresh();
    const candidates = client.versionsOf(name).filter((t) => !t.wharf?.revoked && semver.satisfies(t.wharf!.version, range ?? '*', { includePrerelease: range !== null && range.includes('-') }));
    const best = semver.rsort(candidates.map((t) => t.wharf!.version))[0];
    if (!best) {
      const revoked = client.versionsOf(name).filter((t) => t.wharf?.revoked).map((t) => t.wharf!.version);
      throw new Error(`no installable version of ${name}${range ? `@${range}` : ''} in the signed catalog${revoked.length ? ` (revoked: ${revoked.join(', ')})` : ''}`);
    }
    const { files } = await fetchVerified(client, name, best);
    const target = join(opts.dir, name);
    await rm(target, { recursive: true, force: true });
    for (const [path, bytes] of files) {
      await mkdir(dirname(join(target, path)), { recursive: true });
      await writeFile(join(target, path), bytes);
    }
    const record = await readRecord(opts.dir);
    record[name] = best;
    await writeFile(join(opts.dir, RECORD), `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`installed ${name}@${best} into ${target} (${files.size} files verified)\n`);
    const revoked = client.revokedAmong(Object.entries(record).map(([n, v]) => ({ name: n, version: v })));
    for (const r of revoked) process.stderr.write(`wharf: installed ${r.name}@${r.version} was revoked: ${r.reason}\n`);
    if (revoked.length > 0) process.exitCode = 1;
    return revoked.length === 0;
  } catch (err) {
    return fail(err);
  }
}

async function readRecord(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  try {
    return JSON.parse(await readFile(join(dir, RECORD), 'utf8')) as Record<string, string>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

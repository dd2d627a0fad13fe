import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import semver from 'semver';
import { MemoryTrustedMetadataStore, TOP_LEVEL_ROLES, TrustClient, isTrustError, parseEnvelope, rootFingerprint, type RootSigned, type TrustedMetadataStore } from '@wharf/core';
import { DEFAULT_SERVER_URL } from './control-plane.js';
import { FileTrustedMetadataStore } from './trust-store.js';
import { unpackVerified, UnpackError } from './trust-unpack.js';

export interface VerifyOptions {
  registry?: string;
  /** A root obtained out of band; without it, the one `wharf trust init` pinned in the state dir. */
  root?: string;
  /** Where trusted metadata is kept between runs (default ~/.wharf/trust/<host>). */
  state?: string;
}

export interface TrustInitOptions extends VerifyOptions {
  /** Refuse unless the root's fingerprint is this one (as the operator read it off `wharf serve`). */
  fingerprint?: string;
  /** Replace a root this state dir already trusts (the registry was rebuilt with new root keys). */
  force?: boolean;
}

export interface InstallOptions extends VerifyOptions {
  dir: string;
}

/** `name@version` or `name@range` (scoped names keep their leading @). */
export function parseSpec(spec: string): { name: string; range: string | null } {
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), range: spec.slice(at + 1) } : { name: spec, range: null };
}

const registryOf = (opts: VerifyOptions) => (opts.registry ?? process.env.WHARF_REGISTRY ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');
const stateOf = (opts: VerifyOptions, registry: string) =>
  opts.state ?? process.env.WHARF_TRUST_STATE ?? join(homedir(), '.wharf', 'trust', new URL(registry).host.replace(/[^a-z0-9.-]/gi, '_'));
const clientFor = (registry: string, store: TrustedMetadataStore) =>
  new TrustClient({ metadataUrl: `${registry}/trust/`, targetsUrl: `${registry}/`, fetch, store });

/** A `--root` the user named must exist, even when the state dir already trusts a root. */
async function readRootFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`--root ${path}: no such file`);
    throw err;
  }
}

/**
 * A client on the registry's /trust/ metadata. The state dir's root (pinned by `wharf trust init`,
 * or by an earlier `--root`) is trusted; a `--root` file pins a state dir that has none yet.
 */
export async function openTrustClient(opts: VerifyOptions): Promise<TrustClient> {
  const registry = registryOf(opts);
  const store = new FileTrustedMetadataStore(stateOf(opts, registry));
  const given = opts.root === undefined ? null : await readRootFile(opts.root);
  if ((await store.load('root')) === null) {
    if (given === null) throw new Error(`no trusted root for ${registry} yet: run wharf trust init --registry ${registry} (or pass --root FILE obtained out of band)`);
    await TrustClient.initialise(store, given);
  }
  return clientFor(registry, store);
}

/**
 * `wharf trust init`: pins the registry's first root (or a `--root` file), walks the root chain and
 * the metadata once in memory, and only when all of it checks writes the state dir. Prints the
 * fingerprint and key ids so a person can compare them with what the operator reads off the server.
 */
export async function trustInit(opts: TrustInitOptions): Promise<{ fingerprint: string; root: RootSigned }> {
  const registry = registryOf(opts);
  const dir = stateOf(opts, registry);
  const store = new FileTrustedMetadataStore(dir);
  const pinned = await store.load('root');
  if (pinned !== null && !opts.force) {
    const root = parseEnvelope('root', pinned).signed;
    throw new Error(`${dir} already trusts root v${root.version} of ${registry} (${await rootFingerprint(root)}); --force replaces it`);
  }
  let text: string;
  if (opts.root !== undefined) text = await readRootFile(opts.root);
  else {
    const res = await fetch(`${registry}/trust/1.root.json`);
    if (!res.ok) throw new Error(`GET ${registry}/trust/1.root.json answered ${res.status}: is ${registry} a Wharf registry?`);
    text = await res.text();
  }
  const first = parseEnvelope('root', text).signed;
  const fingerprint = await rootFingerprint(first);
  if (opts.fingerprint !== undefined && opts.fingerprint.trim() !== fingerprint) {
    throw new Error(`root v${first.version} of ${registry} has fingerprint ${fingerprint}, not ${opts.fingerprint.trim()}: nothing was trusted`);
  }
  const memory = new MemoryTrustedMetadataStore();
  try {
    await TrustClient.initialise(memory, text);
    await clientFor(registry, memory).refresh();
  } catch (err) {
    if (isTrustError(err)) throw new Error(`the metadata of ${registry} does not verify against this root [${err.code}]: nothing was trusted`);
    throw err;
  }
  for (const role of TOP_LEVEL_ROLES) await store.remove(role);
  for (const role of TOP_LEVEL_ROLES) {
    const saved = await memory.load(role);
    if (saved !== null) await store.save(role, saved);
  }
  const current = parseEnvelope('root', (await memory.load('root'))!).signed;
  const lines = [
    `trusting ${registry}: root v${first.version}${current.version === first.version ? '' : `, rotated since to v${current.version}`}`,
    `  fingerprint ${fingerprint}`,
    ...TOP_LEVEL_ROLES.map((role) => `  ${role.padEnd(9)} keys (threshold ${current.roles[role].threshold}): ${current.roles[role].keyids.join(', ')}`),
    `compare the fingerprint with the one wharf serve printed; wharf verify and wharf install use this root from now on (${dir})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return { fingerprint, root: current };
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

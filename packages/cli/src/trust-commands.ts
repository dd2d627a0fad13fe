import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import {
  KeyPairFileSchema,
  RegisteredKeySchema,
  RootUpdateResponseSchema,
  SignaturePolicySchema,
  TrustOkSchema,
  tufCanonicalBytes,
  generateKeyPair,
  keyIdOf,
  parseEnvelope,
  PublicKeySchema,
  publicKeyOf,
  type PublicKey,
  signBytes,
  signPackage,
  type KeyPairFile,
  type RootSigned,
  type TopLevelRole,
  tufTime,
} from '@wharf/core';
import { packDirectory, publishDocument, tarballFileHashes } from '@wharf/tarball/node';
import { addServerOptions, ControlPlane, type ServerOptions } from './control-plane.js';
import { installCommand, parseSpec, trustInit, verifyCommand, type InstallOptions, type VerifyOptions } from './trust-client.js';

export async function readKeyFile(path: string): Promise<KeyPairFile> {
  const parsed = KeyPairFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a Wharf Ed25519 key file`);
  return parsed.data;
}

/** A key pair file or just its public part (`{keyval: {public}}`): only the public key goes into root. */
async function readPublicKey(path: string): Promise<{ keyid: string; key: PublicKey }> {
  const parsed = PublicKeySchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} holds no Ed25519 public key`);
  const key = publicKeyOf(parsed.data.keyval.public);
  return { keyid: await keyIdOf(key), key };
}

/** `wharf keys generate --out FILE`: a new key pair, owner-only permissions, never overwritten. */
export async function keysGenerate(opts: { out: string }): Promise<KeyPairFile> {
  const pair = await generateKeyPair();
  await writeFile(opts.out, `${JSON.stringify(pair, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  process.stdout.write(`key ${pair.keyid}\npublic ${pair.keyval.public}\nwritten to ${opts.out} (keep it private)\n`);
  return pair;
}

export async function keysRegister(opts: ServerOptions & { key: string; name?: string }): Promise<string> {
  const pair = await readKeyFile(opts.key);
  const registered = await new ControlPlane(opts).call(RegisteredKeySchema, 'POST', '/trust/keys', { public: pair.keyval.public, name: opts.name });
  process.stdout.write(`registered key ${registered.keyid}\n`);
  return registered.keyid;
}

/**
 * `wharf publish [dir] --key FILE`: packs like npm, records a sha512 SRI per file, signs the
 * package digest and publishes over the npm protocol with the signature in the version document.
 */
export async function publishCommand(dir: string, opts: ServerOptions & { key?: string; tag?: string }): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string; version: string } & Record<string, unknown>;
  const tarball = await packDirectory(dir);
  const doc = publishDocument(manifest, tarball, opts.tag);
  if (opts.key) {
    const pair = await readKeyFile(opts.key);
    const files = await tarballFileHashes(tarball);
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    const sig = signPackage(pair, { name: manifest.name, version: manifest.version, integrity, files });
    (doc.versions[manifest.version] as Record<string, unknown>).wharf = { files, signature: { keyid: pair.keyid, sig } };
  }
  await new ControlPlane(opts).call(TrustOkSchema, 'PUT', `/${manifest.name.replace('/', '%2f')}`, doc);
  process.stdout.write(`published ${manifest.name}@${manifest.version}${opts.key ? ' (signed)' : ' (unsigned)'}\n`);
}

export async function revokeCommand(spec: string, opts: ServerOptions & { reason: string }): Promise<void> {
  const { name, range } = parseSpec(spec);
  if (!range) throw new Error('give the version to revoke: wharf revoke <name>@<version> --reason …');
  await new ControlPlane(opts).call(TrustOkSchema, 'POST', '/trust/revocations', { name, version: range, reason: opts.reason });
  process.stdout.write(`revoked ${name}@${range}: clients refuse it from their next refresh\n`);
}

const ROLES: TopLevelRole[] = ['root', 'targets', 'snapshot', 'timestamp'];

/**
 * `wharf trust draft-root`: root N+1 from the registry's current root with keys added, removed
 * or thresholds changed, unsigned: sign it offline with `sign-root`, install with `push-root`.
 */
export async function draftRoot(opts: ServerOptions & { out: string; add?: string[]; remove?: string[]; threshold?: string[]; expiresDays?: string }): Promise<RootSigned> {
  const current = parseEnvelope('root', await (await fetch(`${new ControlPlane(opts).baseUrl}/trust/root.json`)).text()).signed;
  const next = structuredClone(current) as RootSigned;
  next.version = current.version + 1;
  next.expires = tufTime(new Date(Date.now() + Number(opts.expiresDays ?? 365) * 24 * 3600 * 1000));
  const roleOf = (spec: string) => {
    const [role, value] = spec.split('=', 2) as [TopLevelRole, string | undefined];
    if (!ROLES.includes(role) || !value) throw new Error(`expected ROLE=VALUE with ROLE one of ${ROLES.join(', ')}, got ${spec}`);
    return { role, value };
  };
  for (const spec of opts.remove ?? []) {
    const { role, value } = roleOf(spec);
    next.roles[role].keyids = next.roles[role].keyids.filter((id) => id !== value);
  }
  for (const spec of opts.add ?? []) {
    const { role, value } = roleOf(spec);
    const { keyid, key } = await readPublicKey(value);
    next.keys[keyid] = key;
    if (!next.roles[role].keyids.includes(keyid)) next.roles[role].keyids.push(keyid);
  }
  for (const spec of opts.threshold ?? []) {
    const { role, value } = roleOf(spec);
    next.roles[role].threshold = Number(value);
  }
  const used = new Set(ROLES.flatMap((r) => next.roles[r].keyids));
  for (const id of Object.keys(next.keys)) if (!used.has(id)) delete next.keys[id];
  await writeFile(opts.out, `${JSON.stringify({ signatures: [], signed: next }, null, 2)}\n`);
  process.stdout.write(`root v${next.version} drafted in ${opts.out}: sign it with a threshold of v${current.version}'s and its own root keys\n`);
  return next;
}

/** `wharf trust sign-root FILE --key KEY`: adds (or replaces) one signature; works offline. */
export async function signRoot(file: string, opts: { key: string }): Promise<void> {
  const text = await readFile(file, 'utf8');
  const env = parseEnvelope('root', text);
  const pair = await readKeyFile(opts.key);
  const raw = JSON.parse(text) as { signed: unknown; signatures: { keyid: string; sig: string }[] };
  raw.signatures = [...raw.signatures.filter((s) => s.keyid !== pair.keyid), { keyid: pair.keyid, sig: signBytes(pair, tufCanonicalBytes(raw.signed)) }];
  await writeFile(file, `${JSON.stringify(raw, null, 2)}\n`);
  const listed = env.signed.roles.root.keyids.includes(pair.keyid) ? '' : ' (note: this key is not a root key of this version; it counts only for the previous root)';
  process.stdout.write(`signed root v${env.signed.version} with ${pair.keyid}${listed}: ${raw.signatures.length} signature(s)\n`);
}

export async function pushRoot(file: string, opts: ServerOptions): Promise<number> {
  const body = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const { version } = await new ControlPlane(opts).call(RootUpdateResponseSchema, 'PUT', '/trust/root', body);
  process.stdout.write(`root v${version} installed; clients rotate at their next refresh\n`);
  return version;
}

export async function setPolicy(scope: string, opts: ServerOptions & { requireSignature: boolean }): Promise<void> {
  const policy = await new ControlPlane(opts).call(SignaturePolicySchema, 'PUT', `/trust/policies/${encodeURIComponent(scope.replace(/^@/, ''))}`, { requireSignature: opts.requireSignature });
  process.stdout.write(`${scope}: signatures ${policy.requireSignature ? 'required' : 'optional'}\n`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** Commander actions return nothing; the functions return results for tests. */
const run =
  <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) =>
  async (...args: A): Promise<void> => {
    await fn(...args);
  };

export function registerTrustCommands(program: Command): void {
  const keys = program.command('keys').description('publisher signing keys (Ed25519)');
  keys.command('generate').description('make a key pair file (mode 0600)').requiredOption('--out <file>', 'where to write the key pair').action(run(keysGenerate));
  addServerOptions(keys.command('register').description('register your public key with the registry'))
    .requiredOption('--key <file>', 'key pair file')
    .option('--name <name>', 'a label for the key')
    .action(run(keysRegister));

  addServerOptions(program.command('publish [dir]').description('pack and publish a plugin, signed with --key'))
    .option('--key <file>', 'sign with this key pair file')
    .option('--tag <tag>', 'dist-tag', 'latest')
    .action((dir: string | undefined, opts) => publishCommand(dir ?? '.', opts));

  const verifyOpts = (cmd: Command) =>
    cmd
      .option('--registry <url>', 'Wharf registry (WHARF_REGISTRY)')
      .option('--root <file>', 'root metadata obtained out of band (default: the root wharf trust init pinned)')
      .option('--state <dir>', 'trusted metadata cache (WHARF_TRUST_STATE, default ~/.wharf/trust/<host>)');
  verifyOpts(program.command('verify <spec>').description('verify name@version against the signed catalog (exit 1 naming the failed check)')).action(
    run((spec: string, opts: VerifyOptions) => verifyCommand(spec, opts)),
  );
  verifyOpts(program.command('install <spec>').description('install name[@range] after full verification'))
    .requiredOption('--dir <dir>', 'install directory')
    .action(run((spec: string, opts: InstallOptions) => installCommand(spec, opts)));

  addServerOptions(program.command('revoke <spec>').description('revoke name@version in signed metadata (owner or admin)'))
    .requiredOption('--reason <text>', 'why, shown to clients')
    .action(run(revokeCommand));

  const trust = program.command('trust').description('root metadata and signature policies');
  trust
    .command('init')
    .description("pin the registry's root for verify and install: prints its fingerprint and key ids to confirm")
    .option('--registry <url>', 'Wharf registry (WHARF_REGISTRY)')
    .option('--root <file>', 'pin this root file, obtained out of band, instead of the registry\'s first root')
    .option('--fingerprint <SHA256:hex>', 'refuse unless the root has this fingerprint (as wharf serve printed it)')
    .option('--state <dir>', 'trusted metadata cache (WHARF_TRUST_STATE, default ~/.wharf/trust/<host>)')
    .option('--force', 'replace a root the state dir already trusts')
    .action(run(trustInit));
  addServerOptions(trust.command('draft-root').description('draft root N+1 from the current root (unsigned)'))
    .requiredOption('--out <file>', 'draft file')
    .option('--add <role=keyfile>', 'add a key to a role (repeatable)', collect)
    .option('--remove <role=keyid>', 'remove a key from a role (repeatable)', collect)
    .option('--threshold <role=n>', 'set a role threshold (repeatable)', collect)
    .option('--expires-days <n>', 'root lifetime in days', '365')
    .action(run(draftRoot));
  trust.command('sign-root <file>').description('add a root key signature to a root file (offline)').requiredOption('--key <file>', 'root key pair file').action(run(signRoot));
  addServerOptions(trust.command('push-root <file>').description('install a signed root on the registry (admin)')).action(run(pushRoot));
  addServerOptions(trust.command('policy <scope>').description('require (or not) signed publishes in a scope; * for the whole registry'))
    .option('--require-signature', 'refuse unsigned publishes')
    .option('--no-require-signature', 'accept unsigned publishes')
    .action((scope: string, opts: ServerOptions & { requireSignature?: boolean }) => setPolicy(scope, { ...opts, requireSignature: opts.requireSignature ?? true }));
}

import type { Command } from 'commander';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { MemoryTrustedMetadataStore, TrustClient, consistentTargetPath, deltaPath, parseEnvelope, verifyCatalog, type TopLevelRole } from '@wharf/core';
import cliProgress from 'cli-progress';
import { DEFAULT_SERVER_URL } from './control-plane.js';

const { SingleBar, Presets } = cliProgress;

export interface MirrorExportOptions {
  registry?: string;
  out: string;
  /** The pinned root file; without it the registry's current root is trusted on first use. */
  root?: string;
  /** Only tarballs of versions published at or after this time (ISO 8601). */
  since?: string;
  fetch?: typeof fetch;
  /** Told after each tarball is handled (written, unchanged or left out). */
  onProgress?: (done: number, total: number, path: string) => void;
}

export interface MirrorReport {
  catalogVersion: number;
  targetsVersion: number;
  tarballs: { written: number; unchanged: number; skippedRevoked: number; skippedOld: number };
  /** The deltas signed targets list to each exported version (served at the registry's path). */
  deltas: { written: number; unchanged: number };
  bytesWritten: number;
}

/** Writes through a temp file and a rename: a mirror being synced never shows a torn file. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path).catch(async (err) => {
    await rm(tmp, { force: true });
    throw err;
  });
}

/** `to` becomes a hard link to `from` (a copy where the file system has none), replacing what was there in one step. */
async function linkAtomic(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = `${to}.${randomBytes(6).toString('hex')}.tmp`;
  await link(from, tmp).catch(() => copyFile(from, tmp));
  await rename(tmp, to).catch(async (err) => {
    await rm(tmp, { force: true });
    throw err;
  });
}

async function sameInode(a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/** A path from signed metadata, refused if it could leave the mirror directory. */
function inside(out: string, relative: string): string {
  const full = resolve(out, relative);
  if (relative.includes('\\') || relative.split('/').some((p) => p === '..' || p === '') || !full.startsWith(resolve(out) + sep)) {
    throw new Error(`refusing target path ${JSON.stringify(relative)}: it leaves the mirror directory`);
  }
  return full;
}

/** Before any download: a mirror that cannot be written should fail in a second, not after the fetches. */
async function checkWritable(out: string): Promise<void> {
  try {
    await writeAtomic(join(out, '.wharf-write-check'), '');
    await rm(join(out, '.wharf-write-check'));
  } catch (err) {
    throw new Error(`cannot write to --out ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function sameFile(path: string, length: number, hash: { sha512?: string; sha256?: string }): Promise<boolean> {
  try {
    if ((await stat(path)).size !== length) return false;
    const [algorithm, expected] = hash.sha512 ? ['sha512', hash.sha512] : hash.sha256 ? ['sha256', hash.sha256] : [null, null];
    return algorithm === null || createHash(algorithm).update(await readFile(path)).digest('hex') === expected;
  } catch {
    return false;
  }
}

/**
 * Exports a static mirror: the TUF metadata (every root, and the current timestamp, snapshot and
 * targets under their consistent-snapshot names), every non-revoked tarball at its target path, and
 * the signed catalog. Everything is verified on the way (the mirror starts consistent), immutable
 * files already present are kept (incremental), and files are written in dependency order — tarballs,
 * then metadata, then catalog.json — so a host syncing the folder never names a file it lacks.
 * Clients treat the result as untrusted, like any mirror: it carries the registry's signatures.
 */
export async function exportMirror(opts: MirrorExportOptions): Promise<MirrorReport> {
  const registry = (opts.registry ?? process.env.WHARF_REGISTRY ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');
  const fetchFn = opts.fetch ?? fetch;
  const out = resolve(opts.out);
  await checkWritable(out);
  const get = async (path: string): Promise<Response> => {
    const res = await fetchFn(`${registry}/${path}`);
    if (!res.ok) throw new Error(`GET ${registry}/${path} answered ${res.status}`);
    return res;
  };
  const store = new MemoryTrustedMetadataStore();
  await TrustClient.initialise(store, opts.root ? await readFile(opts.root, 'utf8') : await (await get('trust/root.json')).text());
  const client = new TrustClient({ metadataUrl: `${registry}/trust/`, targetsUrl: `${registry}/`, fetch: (url) => fetchFn(url), store });
  await client.refresh();
  const text = async (role: TopLevelRole) => (await store.load(role))!;
  const root = parseEnvelope('root', await text('root')).signed;
  const targetsText = await text('targets');
  const targets = parseEnvelope('targets', targetsText).signed;
  const snapshotText = await text('snapshot');
  const snapshotVersion = parseEnvelope('snapshot', snapshotText).signed.version;
  const catalogBytes = new Uint8Array(await (await get('catalog.json')).arrayBuffer());
  const catalog = await verifyCatalog(catalogBytes, { root, now: new Date() });
  const since = opts.since ? Date.parse(opts.since) : null;
  if (since !== null && Number.isNaN(since)) throw new Error(`--since ${opts.since} is not a date`);
  const published = new Map(catalog.plugins.flatMap((p) => p.versions.map((v) => [`${p.name}@${v.version}`, Date.parse(v.publishedAt)] as const)));

  const report: MirrorReport = { catalogVersion: catalog.version, targetsVersion: targets.version, tarballs: { written: 0, unchanged: 0, skippedRevoked: 0, skippedOld: 0 }, deltas: { written: 0, unchanged: 0 }, bytesWritten: 0 };
  const paths = Object.keys(targets.targets).sort();
  for (const [i, path] of paths.entries()) {
    report.tarballs[await exportTarball(path)]++;
    opts.onProgress?.(i + 1, paths.length, path);
  }
  async function exportTarball(path: string): Promise<keyof MirrorReport['tarballs']> {
    const target = client.target(path)!;
    if (target.wharf?.revoked) return 'skippedRevoked';
    const when = target.wharf ? published.get(`${target.wharf.name}@${target.wharf.version}`) : undefined;
    if (since !== null && when !== undefined && when < since) return 'skippedOld';
    const file = inside(out, path);
    // Under its consistent-snapshot name, which clients fetch, and under its npm name for older clients, as one file.
    const hashed = inside(out, consistentTargetPath(path, target.info.hashes) ?? path);
    await exportDeltas(target.wharf);
    if (await sameFile(hashed, target.info.length, { sha512: target.info.hashes.sha512 })) {
      if ((await sameInode(hashed, file)) || (await sameFile(file, target.info.length, { sha512: target.info.hashes.sha512 }))) return 'unchanged';
      await linkAtomic(hashed, file);
      return 'written';
    }
    const bytes = await client.download(path);
    await writeAtomic(hashed, bytes);
    if (hashed !== file) await linkAtomic(hashed, file);
    report.bytesWritten += bytes.length;
    return 'written';
  }
  async function exportDeltas(wharf: { name: string; version: string; deltas?: Record<string, { length: number; sha256: string }> } | undefined): Promise<void> {
    for (const [from, signed] of Object.entries(wharf?.deltas ?? {})) {
      const file = inside(out, deltaPath(wharf!.name, from, wharf!.version));
      if (await sameFile(file, signed.length, { sha256: signed.sha256 })) {
        report.deltas.unchanged++;
        continue;
      }
      const { bytes } = await client.fetchDelta(wharf!.name, from, wharf!.version);
      await writeAtomic(file, bytes);
      report.bytesWritten += bytes.length;
      report.deltas.written++;
    }
  }

  const metadata: [string, string][] = [];
  for (let v = 1; v <= root.version; v++) {
    const res = await fetchFn(`${registry}/trust/${v}.root.json`);
    // Roots before the pinned one may be gone from the registry; clients pinned to them walk from there.
    if (res.ok) metadata.push([`trust/${v}.root.json`, await res.text()]);
    else await res.body?.cancel();
  }
  metadata.push(
    ['trust/root.json', await text('root')],
    [`trust/${targets.version}.targets.json`, targetsText],
    ['trust/targets.json', targetsText],
    [`trust/${snapshotVersion}.snapshot.json`, snapshotText],
    ['trust/snapshot.json', snapshotText],
    ['trust/timestamp.json', await text('timestamp')],
  );
  for (const [path, body] of metadata) {
    await writeAtomic(join(out, path), body);
    report.bytesWritten += Buffer.byteLength(body);
  }
  await writeAtomic(join(out, 'catalog.json'), catalogBytes);
  report.bytesWritten += catalogBytes.length;
  // GitHub Pages would hide paths starting with "_" without it; harmless elsewhere.
  await writeAtomic(join(out, '.nojekyll'), '');
  return report;
}

/**
 * Progress of the tarballs on a terminal as a bar; in a log (CI, a pipe), a line at every tenth, so
 * a long export shows it is alive without a line per file.
 */
function progressOn(stream: NodeJS.WriteStream): (done: number, total: number, path: string) => void {
  if (stream.isTTY) {
    const bar = new SingleBar({ stream, format: 'tarballs {bar} {value}/{total} {path}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
    return (done, total, path) => {
      if (done === 1) bar.start(total, 0, { path });
      bar.update(done, { path });
      if (done === total) bar.stop();
    };
  }
  let shown = -1;
  return (done, total) => {
    const tenth = Math.floor((done * 10) / total);
    if (tenth === shown) return;
    shown = tenth;
    stream.write(`tarballs ${done}/${total}\n`);
  };
}

export function registerMirrorCommands(cmd: Command): void {
  const mirror = cmd.command('mirror').description('static mirrors of the signed catalog (Git repository, bucket, CDN)');
  mirror
    .command('export')
    .description('write or update a static mirror: TUF metadata, catalog.json and every plugin tarball, verified')
    .requiredOption('-o, --out <dir>', 'mirror directory (created; existing immutable files are kept)')
    .option('-r, --registry <url>', `registry URL (WHARF_REGISTRY, default ${DEFAULT_SERVER_URL})`)
    .option('--root <file>', 'pinned root.json to verify against (default: trust the registry on first use)')
    .option('--since <time>', 'only tarballs published at or after this ISO 8601 time')
    .action(async (o: { out: string; registry?: string; root?: string; since?: string }) => {
      try {
        const r = await exportMirror({ ...o, onProgress: progressOn(process.stderr) });
        process.stdout.write(
          `mirror at ${resolve(o.out)}: catalog v${r.catalogVersion}, targets v${r.targetsVersion}; tarballs ${r.tarballs.written} written, ${r.tarballs.unchanged} unchanged, ` +
            `${r.tarballs.skippedRevoked} revoked left out${o.since ? `, ${r.tarballs.skippedOld} older than --since` : ''}; deltas ${r.deltas.written} written, ${r.deltas.unchanged} unchanged; ${r.bytesWritten} bytes written\n`,
        );
      } catch (err) {
        process.stderr.write(`wharf: mirror export failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

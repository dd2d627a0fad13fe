import { createHash } from 'node:crypto';
import { buildDelta } from '@wharf/delta';
import { compareVersions, isPrerelease } from '@wharf/core';
import { readTarball, TarballError } from '@wharf/tarball';
import type { DomainEvents, PublishedVersion } from '../events/domain-events.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { DeltaRepository, DeltaRow } from './delta-repository.js';

/** A delta is offered only when it is smaller than this share of the full tarball (the design's 60 % rule). */
export const OFFER_RATIO = 0.6;

export interface DeltaServiceOptions {
  /** How many earlier versions each new one gets a delta from (besides every channel's current version). */
  fromVersions: number;
  onError: (err: unknown, name: string, version: string) => void;
  now?: () => Date;
}

/**
 * Builds deltas to each published version from the ones clients are likely to hold: the previous
 * `fromVersions` releases and whatever each dist-tag (channel) points at below it. Runs after the
 * publish has answered, one build at a time; each pair is built once (the row records it, offered
 * or not), and its bytes are a content-addressed blob like a tarball.
 */
export class DeltaService {
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly repo: DeltaRepository,
    private readonly registry: RegistryService,
    private readonly blobs: BlobStore,
    private readonly events: DomainEvents,
    private readonly opts: DeltaServiceOptions,
  ) {}

  /** Queues the deltas to a version just published and returns at once: the publish answer never waits for them. */
  schedule(v: Pick<PublishedVersion, 'name' | 'version'>): void {
    this.queue = this.queue.then(async () => {
      if (!this.stopped) await this.buildTo(v.name, v.version).catch((err: unknown) => this.opts.onError(err, v.name, v.version));
    });
  }

  /**
   * At shutdown: lets the build under way finish and drops the queued ones, which would otherwise run
   * on a closed database. A dropped pair is simply not offered; clients download the full package.
   */
  stop(): Promise<unknown> {
    this.stopped = true;
    return this.queue;
  }

  /** Resolves once the builds queued so far are done. */
  idle(): Promise<unknown> {
    return this.queue;
  }

  /** The delta bytes of an offered pair, or null. */
  async bytes(name: string, from: string, to: string): Promise<{ row: DeltaRow; bytes: Buffer } | null> {
    const row = await this.repo.get(name, from, to);
    if (!row || row.offered !== 1 || !row.blob_key) return null;
    const bytes = await this.blobs.get(row.blob_key);
    return bytes ? { row, bytes } : null;
  }

  /** What was built for a pair, offered or not (its length against the full tarball's says why). */
  pair(name: string, from: string, to: string): Promise<DeltaRow | null> {
    return this.repo.get(name, from, to);
  }

  offeredTo(name: string, to: string): Promise<DeltaRow[]> {
    return this.repo.offeredTo(name, to);
  }

  async buildTo(name: string, to: string): Promise<DeltaRow[]> {
    const doc = await this.registry.document(name);
    const target = doc?.versions.find((v) => v.version === to);
    if (!doc || !target) return [];
    const earlier = doc.versions.map((v) => v.version).filter((v) => compareVersions(v, to) < 0);
    const releases = earlier.filter((v) => !isPrerelease(v)).sort(compareVersions).slice(-this.opts.fromVersions);
    const channels = Object.values(doc.tags).filter((v) => earlier.includes(v));
    const sources = [...new Set([...releases, ...channels])];
    const built: DeltaRow[] = [];
    if (sources.length === 0) return built;
    const newTarball = await this.registry.storedTarball(target.blob_key);
    const newFiles = newTarball && (await filesOf(newTarball));
    if (!newTarball || !newFiles) return built;
    for (const from of sources) {
      if (await this.repo.get(name, from, to)) continue;
      const source = doc.versions.find((v) => v.version === from)!;
      const oldTarball = await this.registry.storedTarball(source.blob_key);
      const oldFiles = oldTarball && (await filesOf(oldTarball));
      if (!oldFiles) continue;
      const delta = await buildDelta(name, { version: from, files: oldFiles }, { version: to, files: newFiles });
      const offered = delta.length < OFFER_RATIO * newTarball.length;
      const blobKey = offered ? createHash('sha512').update(delta).digest('hex') : null;
      if (blobKey) await this.blobs.put(blobKey, delta);
      const row: DeltaRow = {
        package: name,
        from_version: from,
        to_version: to,
        offered: offered ? 1 : 0,
        blob_key: blobKey,
        length: delta.length,
        sha256: createHash('sha256').update(delta).digest('hex'),
        full_length: newTarball.length,
        created_at: (this.opts.now?.() ?? new Date()).toISOString(),
      };
      await this.repo.add(row);
      built.push(row);
    }
    if (built.some((r) => r.offered === 1)) await this.events.emit('deltas.offered', { name, to });
    return built;
  }
}

/** The files an installer would write, or null for a package one cannot install from a delta (links). */
async function filesOf(tgz: Uint8Array): Promise<Map<string, Uint8Array> | null> {
  try {
    const { files } = await readTarball(tgz, { mode: 'install', keep: () => true, limits: { maxUnpackedBytes: Number.MAX_SAFE_INTEGER } });
    return new Map(files.map((f) => [f.path, f.bytes!]));
  } catch (err) {
    if (err instanceof TarballError) return null;
    throw err;
  }
}

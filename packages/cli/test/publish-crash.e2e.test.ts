import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishDocument } from '@wharf/server';
import { createUser, startServer } from './support/server.js';
import { throwawayPostgres } from '../../server/test/helpers.js';
import { packageJsonEntry, rawTgz } from '../../server/test/support/raw-tar.js';

const sri = (bytes: Uint8Array) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

/** A package whose tarball is large enough (incompressible) that publishing it takes a while. */
function heavyPublish(version: string) {
  const tarball = rawTgz([packageJsonEntry('crashy', version), { path: 'package/blob.bin', body: randomBytes(2 * 1024 * 1024) }]);
  return publishDocument({ name: 'crashy', version }, tarball);
}

describe.each(['sqlite', 'postgres'] as const)('a server killed mid-publish [%s]', (backend) => {
  it('never shows a version without its complete tarball, and the lost versions can be published again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wharf-crash-'));
    const pgdb = backend === 'postgres' ? await throwawayPostgres() : null;
    const args = pgdb ? ['--database-url', pgdb.url] : [];
    let interrupted = 0;
    const attempted: string[] = [];
    try {
      for (let round = 0; round < 2; round++) {
        const server = await startServer({ dataDir, args });
        const token = await createUser(server.url, 'crash');
        const versions = Array.from({ length: 12 }, (_, i) => `${round}.${i}.0`);
        attempted.push(...versions);
        const bodies = versions.map((v) => JSON.stringify(heavyPublish(v)));
        const requests = bodies.map((body) =>
          fetch(`${server.url}/crashy`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body })
            .then((r) => r.status)
            .catch(() => 'killed' as const),
        );
        // Kill once the first publish has committed, while the others are still being received or written.
        await Promise.race(requests);
        server.process.kill('SIGKILL');
        const outcomes = await Promise.all(requests);
        interrupted += outcomes.filter((o) => o === 'killed').length;
        await server.stop();
      }
      expect(interrupted, 'the kill must land while publishes are in flight').toBeGreaterThan(0);

      // Nothing is in flight after a restart of the only replica: versions a kill left without signed
      // metadata are taken over at once (by default, 30 s after their commit).
      const server = await startServer({ dataDir, args, env: { WHARF_TRUST_SETTLE_MS: '0' } });
      try {
        const doc = (await (await fetch(`${server.url}/crashy`)).json()) as { versions: Record<string, { dist: { integrity: string; tarball: string } }>; 'dist-tags': Record<string, string> };
        const visible = Object.keys(doc.versions);
        expect(visible.length).toBeGreaterThan(0);
        for (const version of visible) {
          const res = await fetch(doc.versions[version]!.dist.tarball);
          expect(res.status, version).toBe(200);
          expect(sri(new Uint8Array(await res.arrayBuffer())), version).toBe(doc.versions[version]!.dist.integrity);
        }
        for (const tag of Object.values(doc['dist-tags'])) expect(visible).toContain(tag);
        // Every visible version is in the signed targets, so `wharf verify` finds it.
        const targets = (await (await fetch(`${server.url}/trust/targets.json`)).json()) as { signed: { targets: Record<string, unknown> } };
        for (const version of visible) expect(Object.keys(targets.signed.targets), version).toContain(`crashy/-/crashy-${version}.tgz`);
        expect(await readdir(join(dataDir, 'blobs', 'tmp')), 'temp files of interrupted writes are swept at start').toEqual([]);
        // A cut-off publish leaves nothing that blocks publishing that version again. (Whether a given
        // kill cuts one off before its commit depends on timing; the invariants above hold either way.)
        const lost = attempted.filter((v) => !visible.includes(v));
        const token = await createUser(server.url, 'crash');
        for (const version of lost.slice(0, 2)) {
          const retry = await fetch(`${server.url}/crashy`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(heavyPublish(version)) });
          expect(retry.status, version).toBe(201);
        }
      } finally {
        await server.stop();
      }
    } finally {
      await pgdb?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});

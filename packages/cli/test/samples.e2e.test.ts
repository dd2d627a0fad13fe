import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, describe } from 'vitest';
import { startServer, type RunningServer } from './support/server.js';
import { wharf } from './support/run.js';

// What `npm start` gives a new user: the samples are in the registry and in the marketplace, so the
// help's own examples (`wharf info com.cartae.pdf-export`) answer.
describe('wharf serve --samples', () => {
  let server: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wharf-samples-'));
    server = await startServer({ dataDir, args: ['--samples'] });
  }, 120_000);
  afterAll(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists every sample in the marketplace: wharf search and wharf info find them', async () => {
    const all = await wharf('search', '--registry', server.url);
    expect(all.code ?? 0, all.err).toBe(0);
    for (const id of ['com.cartae.hello', 'com.cartae.pdf-export', 'com.cartae.word-count']) expect(all.out).toContain(id);
    const pdf = await wharf('search', 'pdf', '--registry', server.url);
    expect(pdf.out).toMatch(/^com\.cartae\.pdf-export .*PDF Export — Export notes to PDF/m);
    const info = await wharf('info', 'com.cartae.pdf-export', '--registry', server.url);
    expect(info.code ?? 0, info.err).toBe(0);
    expect(info.out).toContain('PDF Export (com.cartae.pdf-export)');
    expect(info.out).toContain('package    @cartae/plugin-pdf-export@1.2.0');
    expect(info.out).toMatch(/1\.2\.0 \(latest\) .* host >= 0\.2\.0/);
  });

  it('a restart on the same data dir publishes and lists nothing twice', async () => {
    await server.stop();
    const again = await startServer({ dataDir, args: ['--samples'] });
    expect(again.log()).not.toContain('published sample plugins');
    try {
      const res = await fetch(`${again.url}/api/v1/search?size=100`);
      const body = (await res.json()) as { total: number; hits: { id: string }[] };
      expect(body.hits.map((h) => h.id).sort()).toEqual(['com.cartae.hello', 'com.cartae.pdf-export', 'com.cartae.word-count']);
    } finally {
      await again.stop();
    }
  }, 120_000);
});

import { Worker } from 'node:worker_threads';
import type { SbomInput } from './sbom.js';

/**
 * Builds SBOMs on a worker thread: CycloneDX builds and serialises a document in one synchronous
 * call, which for a package of 5,000 files held the event loop for about 100 ms. The worker starts
 * with the first SBOM and is let go (unref) while idle.
 */
export class SbomBuilder {
  private worker: Worker | null = null;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (sbom: string) => void; reject: (err: Error) => void }>();

  build(input: SbomInput, publishedAt: Date): Promise<string> {
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      // Only what the SBOM lists crosses to the worker: the file hashes were made at publish, not the tarball.
      const { name, version, integrity, packageJson, files, fileHashes } = input;
      worker.postMessage({ id, input: { name, version, integrity, packageJson, files, fileHashes, publishedAt: publishedAt.toISOString() } });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // Tests run the TypeScript sources; the worker always runs the built JavaScript (npm test builds first).
    const here = import.meta.url.endsWith('.ts') ? new URL('../../dist/supply-chain/', import.meta.url) : new URL('./', import.meta.url);
    const worker = new Worker(new URL('sbom-worker.js', here));
    worker.on('message', ({ id, sbom, error }: { id: number; sbom?: string; error?: string }) => {
      const job = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      if (error !== undefined) job?.reject(new Error(`SBOM: ${error}`));
      else job?.resolve(sbom!);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error('the SBOM worker stopped'));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const job of this.pending.values()) job.reject(err);
    this.pending.clear();
  }
}

import { parentPort } from 'node:worker_threads';
import { buildSbom, type SbomInput } from './sbom.js';

/** Runs buildSbom for the main thread (see sbom-builder.ts): one request at a time, in order. */
parentPort!.on('message', async ({ id, input }: { id: number; input: SbomInput & { publishedAt: string } }) => {
  try {
    const sbom = await buildSbom(input, new Date(input.publishedAt));
    parentPort!.postMessage({ id, sbom });
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});

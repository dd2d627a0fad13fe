import { existsSync } from 'node:fs';
import type { Command } from 'commander';

/** `wharf blobs verify`: re-hashes every content-addressed blob of a data directory, offline. */
export function registerBlobCommands(cmd: Command): void {
  cmd
    .command('blobs')
    .description('inspect the blob store of a data directory')
    .command('verify')
    .description('check that every blob still hashes to its name (exit 1 when any is corrupt)')
    .option('-d, --data <dir>', 'data directory (WHARF_DATA_DIR, default ./.wharf)')
    .action(async (options: { data?: string }) => {
      // The server's modules load only for the commands that open a data directory.
      const { FsBlobStore, blobsDir, loadConfig, scrubBlobs } = await import('@wharf/server');
      const config = loadConfig({ dataDir: options.data }, process.env, null);
      const dir = blobsDir(config.dataDir);
      if (!existsSync(dir)) {
        console.error(`no blob store at ${dir}: pass the server's data directory with --data`);
        process.exitCode = 2;
        return;
      }
      const { total, bad } = await scrubBlobs(new FsBlobStore(dir), (err) => console.log(`corrupt ${err.key} (hashes to ${err.actual})`));
      if (bad > 0) {
        console.error(`${bad} of ${total} blobs are corrupt`);
        process.exitCode = 1;
      } else console.log(`all ${total} blobs ok`);
    });
}

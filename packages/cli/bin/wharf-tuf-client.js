#!/usr/bin/env node
// tuf-conformance CLIENT-CLI entrypoint: `wharf-tuf-client --metadata-dir DIR init|refresh|download …`
import { tufClientMain } from '../dist/tuf-client-cli.js';

tufClientMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`wharf-tuf-client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

#!/usr/bin/env node
import { main } from '../dist/index.js';

main(process.argv).catch((err) => {
  process.stderr.write(`wharf: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerSearchCommand } from './search.js';
import { registerInfoCommand } from './info.js';
import { registerTrustCommands } from './trust-commands.js';
import { registerFlagCommands } from './flags.js';
import { registerAuditCommands } from './audit.js';
import { registerReleaseCommands } from './release.js';
import { registerAdvisoryCommands } from './advisories.js';
import { registerMirrorCommands } from './mirror.js';
import { registerSourceCommands } from './source.js';
import { registerTokenCommands } from './token.js';
import { registerBlobCommands } from './blobs.js';
import { registerAdminCommands } from './admin.js';

/** Builds the `wharf` command; each subcommand lives in its own module. */
export function program(): Command {
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  const cmd = new Command('wharf').description('Wharf: plugin registry, signed distribution and release control').version(version, '-V, --version').showHelpAfterError();
  cmd
    .command('serve')
    .description('serve the registry (SQLite and a local blob folder by default)')
    .option('-p, --port <port>', 'port to listen on (WHARF_PORT, default 4873)')
    .option('-H, --host <host>', 'address to bind (WHARF_HOST, default 127.0.0.1)')
    .option('-d, --data <dir>', 'data directory (WHARF_DATA_DIR, default ./.wharf)')
    .option('--database-url <url>', 'postgres://… to keep metadata in PostgreSQL (WHARF_DATABASE_URL)')
    .option('--public-url <url>', 'base URL written into documents (WHARF_PUBLIC_URL)')
    .option('-c, --config <file>', 'JSON config file (default ./wharf.config.json when present)')
    .option('--samples', 'publish the bundled sample plugins on first start')
    // Loaded on demand: Fastify, Kysely and the database drivers are for `serve` alone, not for every command.
    .action(async (...args: Parameters<typeof import('./serve.js').serve>) => (await import('./serve.js')).serve(...args));
  registerSearchCommand(cmd);
  registerInfoCommand(cmd);
  registerTrustCommands(cmd);
  registerFlagCommands(cmd);
  registerAuditCommands(cmd);
  registerReleaseCommands(cmd);
  registerAdvisoryCommands(cmd);
  registerMirrorCommands(cmd);
  registerSourceCommands(cmd);
  registerTokenCommands(cmd);
  registerBlobCommands(cmd);
  registerAdminCommands(cmd);
  return cmd;
}

export async function main(argv: string[]): Promise<void> {
  await program().parseAsync(argv);
}

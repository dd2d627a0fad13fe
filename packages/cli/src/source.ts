import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { MarketplaceSourceHistorySchema, MarketplaceSourceSchema, MarketplaceSourceVersionSchema, SOURCE_TYPES, type MarketplaceSourceInput, type MarketplaceSourceVersion } from '@wharf/core';
import { addServerOptions, ControlPlane, ControlPlaneError, type ServerOptions } from './control-plane.js';
import { readStdin } from './stdin.js';

export interface SourceSetOptions extends ServerOptions {
  /** A whole marketplace_source JSON document (`-` for stdin); flags then change fields of it. */
  file?: string;
  type?: string;
  /** Comma-separated source names. */
  priority?: string;
  /** `name=url` to add or change a source, `name=` to remove it. */
  source?: string[];
  canary?: string;
  canarySource?: string;
  healthCheck?: boolean;
  fallback?: boolean;
  ttl?: string;
}

const PATH = '/api/v1/config/marketplace_source';

const show = (v: MarketplaceSourceVersion) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

/** `wharf source show`: the configuration in force, with its version and author. */
export async function sourceShow(options: ServerOptions): Promise<MarketplaceSourceVersion> {
  const current = await new ControlPlane(options).call(MarketplaceSourceVersionSchema, 'GET', PATH);
  show(current);
  return current;
}

/**
 * `wharf source set`: starts from `--file`, else from the configuration in force (nothing when none
 * was ever set), changes the fields given and stores the result as a new version. The server validates.
 */
export async function sourceSet(options: SourceSetOptions): Promise<MarketplaceSourceVersion> {
  const server = new ControlPlane(options);
  const base: Partial<MarketplaceSourceInput> = options.file ? (JSON.parse(await readText(options.file)) as MarketplaceSourceInput) : await currentOrEmpty(server);
  const next: Record<string, unknown> = { ...base, sources: { ...base.sources } };
  const sources = next.sources as Record<string, string>;
  for (const entry of options.source ?? []) {
    const at = entry.indexOf('=');
    if (at < 1) throw new Error(`--source takes name=url (or name= to remove), not ${JSON.stringify(entry)}`);
    const [name, url] = [entry.slice(0, at), entry.slice(at + 1)];
    if (url === '') delete sources[name];
    else sources[name] = url;
  }
  if (options.type !== undefined) next.type = options.type;
  if (options.priority !== undefined) next.priority = options.priority.split(',').map((s) => s.trim()).filter(Boolean);
  if (options.canary !== undefined) next.canaryPercent = Number(options.canary);
  if (options.canarySource !== undefined) {
    if (options.canarySource === '') delete next.canarySource;
    else next.canarySource = options.canarySource;
  }
  if (options.healthCheck !== undefined) next.healthCheckEnabled = options.healthCheck;
  if (options.fallback !== undefined) next.fallbackOnError = options.fallback;
  if (options.ttl !== undefined) next.ttlSeconds = Number(options.ttl);
  // A single-source type reads its own source first: `--type cdn --source cdn=URL` needs no --priority.
  if (next.priority === undefined && typeof next.type === 'string' && next.type !== 'hybrid') next.priority = [next.type, ...Object.keys(sources).filter((n) => n !== next.type)];
  const checked = MarketplaceSourceSchema.safeParse(next);
  if (!checked.success) {
    const lines = new Set(checked.error.issues.map((i) => `  ${whatToAdd(next, i.path.map(String), i.message)}`));
    throw new Error(`the marketplace source is incomplete:\n${[...lines].join('\n')}`);
  }
  const stored = await server.call(MarketplaceSourceVersionSchema, 'PUT', PATH, next);
  show(stored);
  return stored;
}

/** `wharf source history`: one line per version, newest first. */
export async function sourceHistory(options: ServerOptions): Promise<MarketplaceSourceVersion[]> {
  const { versions } = await new ControlPlane(options).call(MarketplaceSourceHistorySchema, 'GET', `${PATH}/history`);
  if (versions.length === 0) process.stdout.write('none: no marketplace source was ever set (wharf source set)\n');
  for (const v of versions) {
    const c = v.config;
    const canary = c.canaryPercent > 0 ? `  canary ${c.canaryPercent}% → ${c.canarySource}` : '';
    process.stdout.write(`v${v.version}  ${v.updatedAt}  ${v.updatedBy}  ${c.type}  ${c.priority.join(' → ')}${canary}  ttl ${c.ttlSeconds}s\n`);
  }
  return versions;
}

/** What a user of `wharf source set` should add, in its own options, for one problem of the schema's. */
function whatToAdd(config: Record<string, unknown>, path: string[], message: string): string {
  const [field, name] = path;
  const missing = path.length === 1 && config[field!] === undefined;
  if (field === 'type' && missing) return `--type is needed: one of ${SOURCE_TYPES.join(', ')}`;
  if (field === 'priority' && missing) return '--priority is needed: the sources clients try, in order, e.g. --priority cdn,git';
  // The type and the priority both name a source without a URL: one line for both.
  if (field === 'sources' && name !== undefined && message.includes('needs a source named')) return `source ${name} has no URL: add --source ${name}=<url>`;
  if (field === 'priority' && message.includes('is not defined')) return `source ${message.split(' ')[1]} has no URL: add --source ${message.split(' ')[1]}=<url>`;
  if (field === 'canarySource' && message.includes('needs a canarySource')) return `${message}: add --canary-source <name>`;
  return `${path.join('.') || 'config'}: ${message}`;
}

async function currentOrEmpty(server: ControlPlane): Promise<Partial<MarketplaceSourceInput>> {
  try {
    return (await server.call(MarketplaceSourceVersionSchema, 'GET', PATH)).config;
  } catch (err) {
    if (err instanceof ControlPlaneError && err.status === 404) return {};
    throw err;
  }
}

async function readText(file: string): Promise<string> {
  return file === '-' ? readStdin() : readFile(file, 'utf8');
}

export function registerSourceCommands(program: Command): void {
  const source = program.command('source').description('where the fleet reads plugins from (marketplace_source: Git mirror, CDN, hybrid, canary)');
  addServerOptions(source.command('show').description('print the configuration in force')).action(async (o: ServerOptions) => void (await sourceShow(o)));
  addServerOptions(source.command('set').description('store a new version (only the fields given change)'))
    .option('--file <file>', 'a whole marketplace_source JSON document (- for stdin)')
    .option('--type <type>', `one of ${SOURCE_TYPES.join(', ')}`)
    .option('--priority <names>', 'comma-separated order clients try sources in, e.g. cdn,git')
    .option('--source <name=url>', 'add or change a source (name= removes it); repeatable', (v: string, all: string[] = []) => [...all, v])
    .option('--canary <percent>', 'share of installs (0..100) that try --canary-source first')
    .option('--canary-source <name>', 'the canary source (empty to clear)')
    .option('--health-check', 'clients probe sources and open circuits')
    .option('--no-health-check', 'clients do not probe sources')
    .option('--fallback', 'fall back to the next source on error, timeout, 5xx or 429')
    .option('--no-fallback', 'use the first source only')
    .option('--ttl <seconds>', 'how long clients keep this configuration')
    .action(async (o: SourceSetOptions) => void (await sourceSet(o)));
  addServerOptions(source.command('history').description('every version, newest first')).action(async (o: ServerOptions) => void (await sourceHistory(o)));
}

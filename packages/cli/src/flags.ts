import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ClientFeaturesSchema, FLAG_STATES, FlagAdminViewSchema as AdminViewSchema, FlagPatchResultSchema, FlagPatchSchema, type ClientFeatures, type FlagAdminView as AdminView, type FlagPatchResult, type FlagStatus } from '@wharf/core';
import { z } from 'zod';
import { addServerOptions, ControlPlane, ControlPlaneError } from './control-plane.js';
import { readStdin } from './stdin.js';

export interface FlagsOptions {
  registry?: string;
  token?: string;
  json?: boolean;
}

/** A command's own refusal (an unreadable file, an unknown flag); the command exits 1 with it, as with a server's refusal. */
export class FlagsCommandError extends Error {}

const call = (options: FlagsOptions, method: string, path: string, body?: unknown) => new ControlPlane(options).send(method, path, body);

const describeState = (s: FlagStatus | undefined) => (s === undefined ? '?' : s.state === 'ROLLOUT' ? `ROLLOUT ${s.percentage}%` : s.state);

/** `wharf flags list`: one line per flag (state, variants), or the whole set with --json. */
export async function flagsList(options: FlagsOptions): Promise<AdminView> {
  const view = AdminViewSchema.parse(await call(options, 'GET', '/api/v1/flags'));
  if (options.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  else if (view.features.length === 0) process.stdout.write(`none (version ${view.version})\n`);
  else {
    const width = Math.max(4, ...view.features.map((f) => f.name.length));
    process.stdout.write(`${'FLAG'.padEnd(width)}  STATE          VARIANTS\n`);
    for (const f of view.features) {
      process.stdout.write(`${f.name.padEnd(width)}  ${describeState(view.states[f.name]).padEnd(13)}  ${(f.variants ?? []).map((v) => v.name).join(',') || '-'}\n`);
    }
    process.stdout.write(`version ${view.version}\n`);
  }
  return view;
}

/** `wharf flags get <key>`: the flag's definition and state as JSON. */
export async function flagsGet(key: string, options: FlagsOptions): Promise<unknown> {
  const view = AdminViewSchema.parse(await call(options, 'GET', '/api/v1/flags'));
  const feature = view.features.find((f) => f.name === key);
  if (!feature) throw new FlagsCommandError(`flag ${key} does not exist (version ${view.version})`);
  const out = { ...view.states[key], version: view.version, feature };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/** `wharf flags set <file>`: replaces the whole set with a client-features JSON file (`-` for stdin). */
export async function flagsSet(file: string, options: FlagsOptions): Promise<AdminView> {
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8').catch((err: Error) => Promise.reject(new FlagsCommandError(`cannot read ${file}: ${err.message}`)));
  let set: ClientFeatures;
  try {
    set = ClientFeaturesSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new FlagsCommandError(`${file} is not a flag set in Unleash's client-features format: ${err instanceof z.core.$ZodError ? z.prettifyError(err) : (err as Error).message}`);
  }
  const view = AdminViewSchema.parse(await call(options, 'PUT', '/api/v1/flags', set));
  process.stdout.write(`flag set replaced: ${view.features.length} flags, version ${view.version}\n`);
  return view;
}

export interface PatchOptions extends FlagsOptions {
  state?: string;
  percentage?: string;
  variants?: string;
}

/** `wharf flags patch <key>`: state, percentage or variants (JSON text or @file). */
export async function flagsPatch(key: string, options: PatchOptions): Promise<FlagPatchResult> {
  const patch: Record<string, unknown> = {};
  if (options.state !== undefined) patch.state = options.state.toUpperCase().replace('-', '_');
  if (options.percentage !== undefined) patch.percentage = Number(options.percentage.replace(/%$/, ''));
  if (options.variants !== undefined) {
    const text = options.variants.startsWith('@') ? await readFile(options.variants.slice(1), 'utf8') : options.variants;
    try {
      patch.variants = JSON.parse(text);
    } catch (err) {
      throw new FlagsCommandError(`--variants is not JSON: ${(err as Error).message}`);
    }
  }
  const parsed = FlagPatchSchema.safeParse(patch);
  if (!parsed.success) throw new FlagsCommandError(`invalid change: ${z.prettifyError(parsed.error)}`);
  const res = FlagPatchResultSchema.parse(await call(options, 'PATCH', `/api/v1/flags/${encodeURIComponent(key)}`, parsed.data));
  process.stdout.write(`${key}: ${describeState(res)} (version ${res.version})\n`);
  return res;
}

/** Runs a command body, turning its failures into a message on stderr and exit code 1. */
const run =
  <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) =>
  async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof FlagsCommandError) && !(err instanceof ControlPlaneError) && !(err instanceof TypeError)) throw err;
      process.stderr.write(`wharf flags: ${err.message}${err instanceof TypeError && (err as { cause?: Error }).cause ? ` (${(err as { cause?: Error }).cause!.message})` : ''}\n`);
      process.exitCode = 1;
    }
  };

export function registerFlagCommands(program: Command): void {
  const flags = program.command('flags').description('feature flags: the four states, Unleash-format flag sets');
  const withServer = (cmd: Command) => addServerOptions(cmd);
  withServer(flags.command('list').description('every flag with its state and variants').option('--json', 'print the whole flag set')).action(run((o: FlagsOptions) => flagsList(o)));
  withServer(flags.command('get <key>').description("one flag's definition and state")).action(run((key: string, o: FlagsOptions) => flagsGet(key, o)));
  withServer(flags.command('set <file>').description("replace the whole flag set with a client-features JSON file ('-' reads stdin)")).action(run((file: string, o: FlagsOptions) => flagsSet(file, o)));
  withServer(
    flags
      .command('patch <key>')
      .description('change one flag (created when a state is given and it does not exist)')
      .option('--state <state>', `one of ${FLAG_STATES.join(', ')}`)
      .option('--percentage <n>', 'rollout percentage, 0-100')
      .option('--variants <json>', 'variants as JSON, or @file'),
  ).action(run((key: string, o: PatchOptions) => flagsPatch(key, o)));
}

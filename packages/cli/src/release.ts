import type { Command } from 'commander';
import { RELEASE_MODES, ReleasePolicySchema, RolloutListSchema, RolloutSchema, type ReleasePolicy, type Rollout } from '@wharf/core';
import { addServerOptions, ControlPlane, type ServerOptions } from './control-plane.js';

export interface ReleaseSetOptions extends ServerOptions {
  latest?: string;
  minSupported?: string;
  message?: string;
  url?: string;
  mode?: string;
  retryAfter?: string;
}

const show = (policy: ReleasePolicy) => process.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);

/** `wharf release show`: the version gate's policy. */
export async function releaseShow(options: ServerOptions): Promise<ReleasePolicy> {
  const policy = await new ControlPlane(options).call(ReleasePolicySchema, 'GET', '/api/v1/release');
  show(policy);
  return policy;
}

/**
 * `wharf release set`: changes only the fields given, on top of the current policy; an empty string
 * clears a field (`--min-supported ''`).
 */
export async function releaseSet(options: ReleaseSetOptions): Promise<ReleasePolicy> {
  const server = new ControlPlane(options);
  const current = await server.call(ReleasePolicySchema, 'GET', '/api/v1/release');
  const field = (value: string | undefined, before: string | null) => (value === undefined ? before : value === '' ? null : value);
  const next = {
    latest: field(options.latest, current.latest),
    minSupported: field(options.minSupported, current.minSupported),
    message: field(options.message, current.message),
    url: field(options.url, current.url),
    mode: options.mode ?? current.mode,
    retryAfterSeconds: options.retryAfter === undefined ? current.retryAfterSeconds : options.retryAfter === '' ? null : Number(options.retryAfter),
  };
  const policy = await server.call(ReleasePolicySchema, 'PUT', '/api/v1/release', next);
  show(policy);
  return policy;
}

export interface RolloutStartOptions extends ServerOptions {
  percentage: string;
  errorThreshold?: string;
  minSample?: string;
}

const line = (r: Rollout) => `${r.id}  ${r.plugin}@${r.channel}  ${r.previousVersion ?? '-'} → ${r.version}  ${r.percentage}%  ${r.state}${r.reason ? `  (${r.reason})` : ''}\n`;

export async function rolloutList(options: ServerOptions & { plugin?: string }): Promise<Rollout[]> {
  const query = options.plugin ? `?plugin=${encodeURIComponent(options.plugin)}` : '';
  const { rollouts } = await new ControlPlane(options).call(RolloutListSchema, 'GET', `/api/v1/rollouts${query}`);
  process.stdout.write(rollouts.length > 0 ? rollouts.map(line).join('') : 'none\n');
  return rollouts;
}

export async function rolloutStart(plugin: string, channel: string, version: string, options: RolloutStartOptions): Promise<Rollout> {
  const body = {
    plugin,
    channel,
    version,
    percentage: Number(options.percentage),
    ...(options.errorThreshold === undefined ? {} : { errorThreshold: Number(options.errorThreshold) }),
    ...(options.minSample === undefined ? {} : { minSample: Number(options.minSample) }),
  };
  const rollout = await new ControlPlane(options).call(RolloutSchema, 'POST', '/api/v1/rollouts', body);
  process.stdout.write(line(rollout));
  return rollout;
}

export async function rolloutAction(id: string, verb: 'raise' | 'halt' | 'resume' | 'rollback', options: ServerOptions & { percentage?: string; reason?: string }): Promise<Rollout> {
  const body = verb === 'raise' ? { percentage: Number(options.percentage) } : verb === 'rollback' && options.reason ? { reason: options.reason } : undefined;
  const rollout = await new ControlPlane(options).call(RolloutSchema, 'POST', `/api/v1/rollouts/${encodeURIComponent(id)}/${verb}`, body);
  process.stdout.write(line(rollout));
  return rollout;
}

export function registerReleaseCommands(program: Command): void {
  const release = program.command('release').description('the version gate clients check at GET /meta/release');
  addServerOptions(release.command('show').description('print the current policy')).action(async (o: ServerOptions) => void (await releaseShow(o)));
  addServerOptions(release.command('set').description('change the policy (only the fields given; an empty value clears one)'))
    .option('--latest <version>', 'newest client version')
    .option('--min-supported <version>', 'oldest client version still served')
    .option('--message <text>', 'shown to clients')
    .option('--url <url>', 'where clients get the update')
    .option('--mode <mode>', `one of ${RELEASE_MODES.join(', ')}`)
    .option('--retry-after <seconds>', 'Retry-After sent during MAINTENANCE')
    .action(async (o: ReleaseSetOptions) => void (await releaseSet(o)));

  const rollout = program.command('rollout').description('staged rollouts of plugin versions on channels (alpha, beta, stable)');
  addServerOptions(rollout.command('list').description('list rollouts')).option('--plugin <name>').action(async (o) => void (await rolloutList(o)));
  addServerOptions(rollout.command('start <plugin> <channel> <version>').description('start serving <version> to a percentage of installs'))
    .requiredOption('--percentage <n>', 'share of installs, 0..100')
    .option('--error-threshold <ratio>', 'roll back when the error rate exceeds the previous version’s by more than this (default 0.05)')
    .option('--min-sample <n>', 'reports needed per version before judging (default 100)')
    .action(async (plugin: string, channel: string, version: string, o: RolloutStartOptions) => void (await rolloutStart(plugin, channel, version, o)));
  addServerOptions(rollout.command('raise <id>').description('raise the percentage (100 completes and moves the dist-tag)'))
    .requiredOption('--percentage <n>', 'new share, not below the current one')
    .action(async (id: string, o) => void (await rolloutAction(id, 'raise', o)));
  for (const verb of ['halt', 'resume', 'rollback'] as const) {
    const cmd = addServerOptions(rollout.command(`${verb} <id>`).description(`${verb} a rollout`));
    if (verb === 'rollback') cmd.option('--reason <text>', 'recorded in the rollout and the audit log');
    cmd.action(async (id: string, o) => void (await rolloutAction(id, verb, o)));
  }
}

import { FlagNotFoundError, InvalidContextError, ProviderNotReadyError, TypeMismatchError } from '@openfeature/core';
import { OfrepContextSchema, ofrepResult, ofrepToUnleashContext, type UnleashContext } from '@wharf/core';
import type { FlagClient } from './flag-client.js';

/** What the web and server providers share: context mapping and typed local resolution. */

export type FlagType = 'boolean' | 'string' | 'number' | 'object';

export interface LocalResolution<T> {
  value: T;
  variant: string;
  reason: string;
}

/**
 * The Unleash context the server's OFREP endpoints would build from this evaluation context: the
 * context goes through JSON (as an OFREP request body would, so a Date becomes its ISO string) and
 * the same schema and mapping as the server's. A context the server would refuse is INVALID_CONTEXT.
 */
export function unleashContextOf(context: object): UnleashContext {
  const parsed = OfrepContextSchema.safeParse(JSON.parse(JSON.stringify(context)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidContextError(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return ofrepToUnleashContext(parsed.data);
}

/**
 * Evaluates locally and types the answer as OFREP does (variant payload, else the enabled state).
 * A non-boolean request for a flag that is off answers the default value with the flag's reason;
 * any other value of the wrong type is TYPE_MISMATCH.
 */
export function resolveLocally<T>(client: FlagClient, key: string, type: FlagType, defaultValue: T, context: UnleashContext): LocalResolution<T> {
  const evaluation = client.evaluate(key, context);
  if (!evaluation) {
    if (!client.ready) throw new ProviderNotReadyError('the flag set has not been loaded yet');
    throw new FlagNotFoundError(`flag ${key} does not exist`);
  }
  const { value, reason, variant } = ofrepResult(key, evaluation);
  if (type !== 'boolean' && !evaluation.enabled) return { value: defaultValue, reason, variant };
  if (!hasType(value, type)) throw new TypeMismatchError(`flag ${key} is ${Array.isArray(value) ? 'array' : typeof value}, not ${type}`);
  return { value: value as T, reason, variant };
}

function hasType(value: unknown, type: FlagType): boolean {
  return type === 'object' ? typeof value === 'object' && value !== null : typeof value === type;
}

export interface WharfProviderOptions {
  /** Download the set again every so many milliseconds while the provider is in use. */
  pollIntervalMs?: number;
  /** Refresh on the server's `flags.changed` notices (SSE `/events`). */
  watchEvents?: boolean;
}

/**
 * Loads the set if needed, starts the refreshes asked for and forwards each change; the returned
 * function undoes it. Subscribing after the first load keeps the initial download from reading as
 * a configuration change.
 */
export async function startClient(client: FlagClient, options: WharfProviderOptions, onChange: (keys: string[]) => void): Promise<() => void> {
  if (!client.ready) await client.refresh();
  const off = client.on('change', ({ keys }) => onChange(keys));
  if (options.pollIntervalMs !== undefined) client.startPolling(options.pollIntervalMs);
  if (options.watchEvents) client.watchEvents();
  return () => {
    off();
    client.stop();
  };
}

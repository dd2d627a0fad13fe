import { OpenFeatureEventEmitter, ProviderEvents, type EvaluationContext, type JsonValue, type Provider, type ResolutionDetails } from '@openfeature/web-sdk';
import type { UnleashContext } from '@wharf/core';
import type { FlagClient } from './flag-client.js';
import { resolveLocally, startClient, unleashContextOf, type FlagType, type WharfProviderOptions } from './openfeature-resolve.js';

export type { WharfProviderOptions } from './openfeature-resolve.js';

/**
 * OpenFeature provider for `@openfeature/web-sdk` (static context): evaluates the downloaded set
 * locally and synchronously. The static context is mapped once per context change; an evaluation
 * whose context differs (a hook added attributes) is mapped on its own.
 */
export class WharfWebProvider implements Provider {
  readonly metadata = { name: 'wharf-web' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private staticContext: EvaluationContext | null = null;
  private staticMapped: UnleashContext = {};
  private dispose: (() => void) | null = null;

  constructor(
    readonly client: FlagClient,
    private readonly options: WharfProviderOptions = {},
  ) {}

  async initialize(context?: EvaluationContext): Promise<void> {
    this.remember(context ?? {});
    this.dispose = await startClient(this.client, this.options, (keys) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: keys }));
  }

  onContextChange(_old: EvaluationContext, next: EvaluationContext): void {
    this.remember(next);
  }

  async onClose(): Promise<void> {
    this.dispose?.();
    this.dispose = null;
  }

  resolveBooleanEvaluation(key: string, defaultValue: boolean, context: EvaluationContext): ResolutionDetails<boolean> {
    return this.resolve(key, 'boolean', defaultValue, context);
  }

  resolveStringEvaluation(key: string, defaultValue: string, context: EvaluationContext): ResolutionDetails<string> {
    return this.resolve(key, 'string', defaultValue, context);
  }

  resolveNumberEvaluation(key: string, defaultValue: number, context: EvaluationContext): ResolutionDetails<number> {
    return this.resolve(key, 'number', defaultValue, context);
  }

  resolveObjectEvaluation<T extends JsonValue>(key: string, defaultValue: T, context: EvaluationContext): ResolutionDetails<T> {
    return this.resolve(key, 'object', defaultValue, context);
  }

  private resolve<T>(key: string, type: FlagType, defaultValue: T, context: EvaluationContext): ResolutionDetails<T> {
    const mapped = this.staticContext !== null && shallowEqual(context, this.staticContext) ? this.staticMapped : unleashContextOf(context);
    return resolveLocally(this.client, key, type, defaultValue, mapped);
  }

  private remember(context: EvaluationContext): void {
    try {
      this.staticMapped = unleashContextOf(context);
      this.staticContext = { ...context };
    } catch {
      // An invalid static context is not an initialisation failure: each evaluation reports INVALID_CONTEXT.
      this.staticContext = null;
    }
  }
}

function shallowEqual(a: EvaluationContext, b: EvaluationContext): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

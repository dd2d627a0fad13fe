import { OpenFeatureEventEmitter, ProviderEvents, type EvaluationContext, type JsonValue, type Provider, type ResolutionDetails } from '@openfeature/server-sdk';
import type { FlagClient } from './flag-client.js';
import { resolveLocally, startClient, unleashContextOf, type FlagType, type WharfProviderOptions } from './openfeature-resolve.js';

export type { WharfProviderOptions } from './openfeature-resolve.js';

/**
 * OpenFeature provider for `@openfeature/server-sdk` (dynamic context: each evaluation brings its
 * own, e.g. per request): evaluates the downloaded set locally, without a request per evaluation.
 */
export class WharfServerProvider implements Provider {
  readonly metadata = { name: 'wharf-server' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private dispose: (() => void) | null = null;

  constructor(
    readonly client: FlagClient,
    private readonly options: WharfProviderOptions = {},
  ) {}

  async initialize(): Promise<void> {
    this.dispose = await startClient(this.client, this.options, (keys) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: keys }));
  }

  async onClose(): Promise<void> {
    this.dispose?.();
    this.dispose = null;
  }

  async resolveBooleanEvaluation(key: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(key, 'boolean', defaultValue, context);
  }

  async resolveStringEvaluation(key: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve(key, 'string', defaultValue, context);
  }

  async resolveNumberEvaluation(key: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve(key, 'number', defaultValue, context);
  }

  async resolveObjectEvaluation<T extends JsonValue>(key: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return this.resolve(key, 'object', defaultValue, context);
  }

  private resolve<T>(key: string, type: FlagType, defaultValue: T, context: EvaluationContext): ResolutionDetails<T> {
    return resolveLocally(this.client, key, type, defaultValue, unleashContextOf(context));
  }
}

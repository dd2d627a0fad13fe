import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenFeature as WebOpenFeature, ProviderEvents as WebEvents, ProviderStatus as WebStatus, type EvaluationContext } from '@openfeature/web-sdk';
import { OpenFeature as ServerOpenFeature, ProviderEvents as ServerEvents } from '@openfeature/server-sdk';
import { FlagClient } from '../src/index.js';
import { WharfWebProvider } from '../src/flags/openfeature-web.js';
import { WharfServerProvider } from '../src/flags/openfeature-server.js';
import { ADMIN_TOKEN, bearer, createTestWharf, type TestWharf } from '../../server/test/helpers.js';

const admin = bearer(ADMIN_TOKEN);

const flagSet = {
  version: 1,
  features: [
    { name: 'on', enabled: true, strategies: [{ name: 'default' }] },
    { name: 'off', enabled: false, strategies: [{ name: 'default' }] },
    { name: 'half', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'default', groupId: 'half' } }] },
    { name: 'pro-only', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro'] }] }] },
    { name: 'eu', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'environment', operator: 'IN', values: ['eu'] }, { contextName: 'appName', operator: 'STR_STARTS_WITH', values: ['console'] }] }] },
    { name: 'vip', enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'tenant-7' } }] },
    { name: 'launch', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'currentTime', operator: 'DATE_AFTER', value: '2030-01-01T00:00:00Z' }] }] },
    { name: 'theme', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'dark', weight: 1000, payload: { type: 'json', value: '{"bg":"#000"}' } }] },
    { name: 'limit', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'big', weight: 1000, payload: { type: 'number', value: '50' } }] },
    { name: 'greeting', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'hello', weight: 1000, payload: { type: 'string', value: 'hi' } }] },
  ],
};
const BOOLEAN_FLAGS = ['on', 'off', 'half', 'pro-only', 'eu', 'vip', 'launch'];
/** Without any stickiness id Unleash buckets a rollout at random, on the server as locally. */
const comparable = (key: string, context: EvaluationContext) => key !== 'half' || ['targetingKey', 'userId', 'sessionId'].some((k) => k in context);

/** Contexts covering every rule of the OFREP mapping: targetingKey vs userId, Unleash fields, properties nested or top-level, dates. */
const CONTEXTS: EvaluationContext[] = [
  {},
  { targetingKey: 'tenant-7' },
  { targetingKey: 'tenant-7', userId: 'someone' },
  { targetingKey: 'tenant-12', plan: 'pro' },
  { targetingKey: 'tenant-13', properties: { plan: 'pro' } },
  { targetingKey: 'tenant-14', plan: 'free', properties: { plan: 'pro' } },
  { environment: 'eu', appName: 'console-web' },
  { environment: 'us', appName: 'console-web', sessionId: 's-1' },
  { currentTime: new Date('2031-01-01T00:00:00Z') },
  { currentTime: '2029-01-01T00:00:00Z' },
  ...Array.from({ length: 12 }, (_, i) => ({ targetingKey: `user-${i}` })),
];

interface OfrepAnswer {
  value?: unknown;
  variant?: string;
  reason?: string;
  errorCode?: string;
}

describe('OpenFeature providers against a listening server', () => {
  let w: TestWharf;
  let base: string;
  /** What the server's OFREP endpoint answers for this flag and context (sent as JSON, as an OFREP provider would). */
  const remote = async (key: string, context: EvaluationContext): Promise<OfrepAnswer> => {
    const res = await fetch(`${base}/ofrep/v1/evaluate/flags/${key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ context }) });
    return (await res.json()) as OfrepAnswer;
  };
  const patch = async (key: string, body: object) => expect((await w.app.inject({ method: 'PATCH', url: `/api/v1/flags/${key}`, headers: admin, payload: body })).statusCode).toBe(200);

  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: admin, payload: flagSet })).statusCode).toBe(200);
    base = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await WebOpenFeature.close();
    await ServerOpenFeature.close();
    await w.destroy();
  });

  describe('web SDK (static context)', () => {
    it('answers every flag and context as the server’s OFREP endpoint does', async () => {
      await WebOpenFeature.setProviderAndWait(new WharfWebProvider(new FlagClient({ url: base })));
      const client = WebOpenFeature.getClient();
      let hits = 0;
      for (const context of CONTEXTS) {
        await WebOpenFeature.setContext(context);
        for (const key of BOOLEAN_FLAGS.filter((k) => comparable(k, context))) {
          const local = client.getBooleanDetails(key, false);
          const server = await remote(key, context);
          expect({ value: local.value, variant: local.variant, reason: local.reason }, `${key} ${JSON.stringify(context)}`).toEqual({ value: server.value, variant: server.variant, reason: server.reason });
          if (local.value) hits++;
        }
      }
      // Not a trivially all-false agreement.
      expect(hits).toBeGreaterThan(CONTEXTS.length);
    });

    it('types values like OFREP and reports errors with the default value', async () => {
      await WebOpenFeature.setContext({ targetingKey: 'u' });
      const client = WebOpenFeature.getClient();
      expect(client.getObjectDetails('theme', {})).toMatchObject({ value: { bg: '#000' }, variant: 'dark', reason: 'SPLIT' });
      expect(client.getNumberValue('limit', 0)).toBe(50);
      expect(client.getStringValue('greeting', 'x')).toBe('hi');
      expect(client.getStringDetails('on', 'fallback')).toMatchObject({ value: 'fallback', errorCode: 'TYPE_MISMATCH' });
      expect(client.getStringDetails('off', 'fallback')).toMatchObject({ value: 'fallback', reason: 'DISABLED' });
      expect(client.getBooleanDetails('nope', true)).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
      // A nested attribute is refused by the server's schema, and so locally.
      const bad = { targetingKey: 'u', tenant: { id: 1 } };
      expect((await remote('on', bad)).errorCode).toBe('INVALID_CONTEXT');
      await WebOpenFeature.setContext(bad);
      expect(client.getBooleanDetails('on', false)).toMatchObject({ value: false, errorCode: 'INVALID_CONTEXT' });
    });

    it('emits ConfigurationChanged with the changed flags when the server’s set changes', async () => {
      await WebOpenFeature.setContext({ targetingKey: 'u' });
      await WebOpenFeature.setProviderAndWait(new WharfWebProvider(new FlagClient({ url: base }), { watchEvents: true }));
      const client = WebOpenFeature.getClient();
      const changed: string[][] = [];
      client.addHandler(WebEvents.ConfigurationChanged, (details) => changed.push(details?.flagsChanged ?? []));
      expect(client.getBooleanValue('vip', true)).toBe(false);
      await patch('vip', { state: 'ON' });
      await expect.poll(() => changed, { timeout: 5000 }).toContainEqual(['vip']);
      expect(client.getBooleanValue('vip', false)).toBe(true);
      expect(changed.flat()).toEqual(['vip']);
      await patch('vip', { state: 'OFF' });
      await expect.poll(() => client.getBooleanValue('vip', true), { timeout: 5000 }).toBe(false);
    });

    it('fails initialisation when the server cannot be reached and nothing was bootstrapped', async () => {
      const provider = new WharfWebProvider(new FlagClient({ url: 'http://127.0.0.1:1' }));
      await expect(WebOpenFeature.setProviderAndWait('unreachable', provider)).rejects.toBeDefined();
      expect(WebOpenFeature.getClient('unreachable').providerStatus).toBe(WebStatus.ERROR);
      expect(WebOpenFeature.getClient('unreachable').getBooleanValue('on', false)).toBe(false);
    });
  });

  describe('server SDK (dynamic context)', () => {
    it('evaluates each call with its own context, as the server’s OFREP endpoint does', async () => {
      await ServerOpenFeature.setProviderAndWait(new WharfServerProvider(new FlagClient({ url: base })));
      const client = ServerOpenFeature.getClient();
      for (const context of CONTEXTS) {
        for (const key of BOOLEAN_FLAGS.filter((k) => comparable(k, context))) {
          const local = await client.getBooleanDetails(key, false, context);
          const server = await remote(key, context);
          expect({ value: local.value, variant: local.variant, reason: local.reason }, `${key} ${JSON.stringify(context)}`).toEqual({ value: server.value, variant: server.variant, reason: server.reason });
        }
      }
      expect(await client.getObjectValue('theme', {}, { targetingKey: 'x' })).toEqual({ bg: '#000' });
      expect(await client.getNumberDetails('greeting', 1, {})).toMatchObject({ value: 1, errorCode: 'TYPE_MISMATCH' });
      expect(await client.getBooleanDetails('on', false, { tenant: { id: 1 } })).toMatchObject({ value: false, errorCode: 'INVALID_CONTEXT' });
    });

    it('emits ConfigurationChanged when polling finds a changed set', async () => {
      await ServerOpenFeature.setProviderAndWait(new WharfServerProvider(new FlagClient({ url: base }), { pollIntervalMs: 50 }));
      const client = ServerOpenFeature.getClient();
      const changed: string[][] = [];
      client.addHandler(ServerEvents.ConfigurationChanged, (details) => changed.push(details?.flagsChanged ?? []));
      expect(await client.getBooleanValue('pro-only', false, { plan: 'free' })).toBe(false);
      await patch('pro-only', { state: 'ON' });
      await expect.poll(() => changed, { timeout: 5000 }).toContainEqual(['pro-only']);
      expect(await client.getBooleanValue('pro-only', false, { plan: 'free' })).toBe(true);
    });
  });
});

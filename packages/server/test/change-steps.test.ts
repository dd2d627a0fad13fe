import { afterEach, describe, expect, it } from 'vitest';
import { addUser, createTestWharf, type TestWharf } from './helpers.js';
import { publish } from './trust-helpers.js';

describe('the steps a change sets off', () => {
  let w: TestWharf | undefined;
  afterEach(async () => {
    await w?.destroy();
    w = undefined;
  });

  it('are registered in one place, in the order they run', async () => {
    w = await createTestWharf('sqlite');
    expect(w.domainEvents.describe()).toEqual([
      { type: 'version.publishing', kind: 'validator', step: 'vulnerability policy' },
      { type: 'version.publishing', kind: 'validator', step: 'publisher signature and signature policy' },
      { type: 'version.published', kind: 'listener', step: 'SBOM and vulnerability flags' },
      { type: 'version.published', kind: 'listener', step: 'countersignature, provenance and signed targets' },
      { type: 'version.published', kind: 'listener', step: 'search index' },
      { type: 'version.published', kind: 'listener', step: 'delta builds (queued)' },
      { type: 'package.changed', kind: 'listener', step: 'CDN purge of the package' },
      { type: 'deltas.offered', kind: 'listener', step: 'signed targets listing the deltas' },
      { type: 'targets.issued', kind: 'listener', step: 'signed catalog rebuild' },
    ]);
  });

  it('go on after one fails: the publish stands, the failure is logged with the step\'s name', async () => {
    const lines: string[] = [];
    w = await createTestWharf('sqlite', { logLevel: 'error' }, { logStream: { write: (l) => void lines.push(l) } });
    const later: string[] = [];
    w.domainEvents.on('version.published', 'a broken step', () => {
      throw new Error('disk on fire');
    });
    w.domainEvents.on('version.published', 'a later step', (v) => void later.push(`${v.name}@${v.version}`));
    const token = await addUser(w, 'stepper');
    expect((await publish(w, token, '@steps/one', '1.0.0')).statusCode).toBe(201);
    expect(later).toEqual(['@steps/one@1.0.0']);
    const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.step === 'a broken step');
    expect(failure).toMatchObject({ event: 'version.published', package: '@steps/one', version: '1.0.0', err: { message: 'disk on fire' } });
  });
});

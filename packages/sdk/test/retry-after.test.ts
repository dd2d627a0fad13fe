import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../src/retry-after.js';

describe('retryAfterMs (one reader for the gate, the source resolver and the health reporter)', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Thu, 26 Nov 2026 12:01:30 GMT', now)).toBe(90_000);
  });

  it('treats a date in the past as now', () => {
    expect(retryAfterMs('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('is null when absent or not in either form, so the caller keeps its own backoff', () => {
    for (const value of [null, '', '   ', '-5', '1.5', 'soon', '1e3']) expect(retryAfterMs(value, now), String(value)).toBeNull();
  });
});

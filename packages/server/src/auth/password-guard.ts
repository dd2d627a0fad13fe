import { HttpError } from '../errors.js';

export interface PasswordGuardLimits {
  /** Failed password checks one client address may make per window. */
  perAddress: number;
  /** Failed checks against one user name, from any address, per window (guessing spread over many addresses). */
  perUser: number;
  windowMs: number;
}

/** Keys kept at most: a flood of made-up names cannot grow the map without bound (the oldest go first). */
const MAX_KEYS = 100_000;

/**
 * Counts failed password checks per client address and per user name over a sliding window, and
 * refuses further checks (429 with Retry-After) until the oldest failure leaves the window. One
 * guard serves every way a password is checked: HTTP Basic on any route, npm login, token creation.
 * Counters live in this process: behind N replicas an attacker gets at most N times the limit.
 */
export class PasswordGuard {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: PasswordGuardLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 when either the address or the user name is over its limit. */
  check(user: string, address: string): void {
    const wait = Math.max(this.waitMs(`a:${address}`, this.limits.perAddress), this.waitMs(`u:${user}`, this.limits.perUser));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new HttpError(429, `too many failed password attempts: retry in ${seconds} s`, { 'retry-after': String(seconds) });
    }
  }

  failed(user: string, address: string): void {
    for (const key of [`a:${address}`, `u:${user}`]) {
      const times = this.recent(key);
      times.push(this.now());
      this.failures.delete(key);
      this.failures.set(key, times);
    }
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  /** Milliseconds until one more attempt is allowed for `key`; 0 when it is allowed now. */
  private waitMs(key: string, limit: number): number {
    const times = this.recent(key);
    return times.length < limit ? 0 : times[times.length - limit]! + this.limits.windowMs - this.now();
  }

  private recent(key: string): number[] {
    const since = this.now() - this.limits.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.failures.delete(key);
    return times;
  }
}

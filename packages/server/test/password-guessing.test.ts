import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordGuard } from '../src/auth/password-guard.js';
import { addUser, bearer, createTestWharf, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';

const PASSWORD = 'a-long-password-123';
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

// Guessing a password, each way one is checked: HTTP Basic on any route (whoami, publish), npm login,
// token creation. Limits here: 5 failures per address, 8 per user name, per minute.
describe('password guessing', () => {
  let w: TestWharf;
  let aliceToken: string;
  beforeAll(async () => {
    w = await createTestWharf('sqlite', { loginRateLimit: 1000, passwordFailuresPerUser: 8 });
    aliceToken = await addUser(w, 'alice', PASSWORD);
    await addUser(w, 'bob', PASSWORD);
  });
  afterAll(() => w.destroy());
  // Each test guesses from its own addresses, so the limits of one do not leak into the next.
  const from = (address: string, headers: Record<string, string>, url = '/-/whoami') => w.app.inject({ url, headers, remoteAddress: address });

  it('HTTP Basic: 401s until the address is over its limit, then 429 with Retry-After, even for the right password', async () => {
    const limited = await createTestWharf('sqlite', { loginRateLimit: 5, passwordFailuresPerUser: 100 });
    try {
      await addUser(limited, 'carol', PASSWORD);
      const guess = (password: string) => limited.app.inject({ url: '/-/whoami', headers: basic('carol', password), remoteAddress: '203.0.113.7' });
      const codes = [];
      for (let i = 0; i < 7; i++) codes.push((await guess(`guess-${i}`)).statusCode);
      expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
      const right = await guess(PASSWORD);
      expect(right.statusCode).toBe(429);
      expect(right.json().error).toMatch(/^too many failed password attempts: retry in \d+ s$/);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
      // Publishing with Basic auth goes through the same check.
      const { body } = publishBody('carol-pkg', '1.0.0');
      const put = await limited.app.inject({ method: 'PUT', url: `/${encodeName('carol-pkg')}`, headers: basic('carol', PASSWORD), payload: body, remoteAddress: '203.0.113.7' });
      expect(put.statusCode).toBe(429);
      // Another address is not held back by this one.
      expect((await limited.app.inject({ url: '/-/whoami', headers: basic('carol', PASSWORD), remoteAddress: '203.0.113.8' })).json()).toEqual({ username: 'carol' });
    } finally {
      await limited.destroy();
    }
  });

  it('guessing one name from many addresses is limited per name; npm login and token creation count too', async () => {
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await from(`198.51.100.${i}`, basic('alice', `guess-${i}`))).statusCode);
    for (let i = 4; i < 6; i++) {
      const login = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:alice', payload: { name: 'alice', password: `guess-${i}` }, remoteAddress: `198.51.100.${i}` });
      codes.push(login.statusCode);
    }
    for (let i = 6; i < 8; i++) {
      const token = await w.app.inject({ method: 'POST', url: '/-/npm/v1/tokens', headers: bearer(aliceToken), payload: { password: `guess-${i}` }, remoteAddress: `198.51.100.${i}` });
      codes.push(token.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 401, 401, 401]);
    expect((await from('198.51.100.99', basic('alice', 'guess-9'))).statusCode).toBe(429);
    const login = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:alice', payload: { name: 'alice', password: PASSWORD }, remoteAddress: '198.51.100.98' });
    expect(login.statusCode).toBe(429);
    // Another name is not held back; tokens keep working (they are not passwords).
    expect((await from('198.51.100.97', basic('bob', PASSWORD))).json()).toEqual({ username: 'bob' });
    expect((await from('198.51.100.96', bearer(aliceToken))).json()).toEqual({ username: 'alice' });
  });

  it('an unknown name costs the same work as a known one, so timing does not tell which names exist', async () => {
    const median = async (user: string, i0: number) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = process.hrtime.bigint();
        expect((await from(`192.0.2.${i0 + i}`, basic(user, 'wrong-password'))).statusCode).toBe(401);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      return times.sort((a, b) => a - b)[2]!;
    };
    await median('nobody-at-all', 100); // the first unknown name makes the decoy hash once
    const [known, unknown, system] = [await median('bob', 10), await median('no-such-user', 20), await median('wharf-samples', 30)];
    // Before, an unknown name answered about 200 times faster than a known one (no scrypt at all).
    expect(unknown / known).toBeGreaterThan(0.3);
    expect(system / known).toBeGreaterThan(0.3);
  });
});

describe('PasswordGuard', () => {
  it('lets attempts through again as failures leave the window, and says how long to wait', () => {
    let now = 0;
    const guard = new PasswordGuard({ perAddress: 2, perUser: 100, windowMs: 60_000 }, () => now);
    guard.failed('u', 'a');
    now = 10_000;
    guard.failed('u', 'a');
    expect(() => guard.check('u', 'a')).toThrow('retry in 50 s');
    now = 60_001;
    expect(() => guard.check('u', 'a')).not.toThrow();
    guard.failed('u', 'a');
    expect(() => guard.check('u', 'a')).toThrow('retry in 10 s');
    now = 130_000;
    expect(() => guard.check('u', 'a')).not.toThrow();
  });
});

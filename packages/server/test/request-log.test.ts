import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, type TestWharf } from './helpers.js';
import type { ConfigInput } from '../src/index.js';

interface Line {
  level: number;
  msg: string;
  method?: string;
  url?: string;
  route?: string | null;
  status?: number;
  ms?: number;
  user?: string | null;
  bytesIn?: number;
  bytesOut?: number;
}

const PASSWORD = 'correct-horse-battery-9';

describe('request log', () => {
  let w: TestWharf | undefined;
  afterEach(async () => {
    await w?.destroy();
    w = undefined;
  });

  async function start(overrides: ConfigInput): Promise<{ text: () => string; requests: () => Line[] }> {
    const out: string[] = [];
    w = await createTestWharf('sqlite', { logLevel: 'info', ...overrides }, { logStream: { write: (line) => void out.push(line) } });
    const text = () => out.join('');
    return { text, requests: () => out.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request') };
  }

  it('logs every request at info (method, URL, route, status, duration, user, bytes) and never a credential', async () => {
    const log = await start({});
    const token = await addUser(w!, 'alice', PASSWORD);
    const basic = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
    expect((await w!.app.inject({ url: '/-/whoami', headers: bearer(token) })).statusCode).toBe(200);
    expect((await w!.app.inject({ url: '/-/whoami', headers: { authorization: basic } })).statusCode).toBe(200);
    expect((await w!.app.inject({ url: '/@nobody/missing' })).statusCode).toBe(404);
    expect((await w!.app.inject({ url: '/api/v1/users', headers: bearer(ADMIN_TOKEN) })).statusCode).toBe(200);
    expect((await w!.app.inject({ url: `/-/v1/search?text=${PASSWORD}&size=5` })).statusCode).toBe(200);
    expect((await w!.app.inject({ method: 'DELETE', url: `/-/user/token/${encodeURIComponent(token)}`, headers: bearer(token) })).statusCode).toBe(200);

    const lines = log.requests();
    expect(lines.map((l) => [l.method, l.route, l.status])).toEqual([
      ['PUT', '/-/user/:id', 201],
      ['GET', '/-/whoami', 200],
      ['GET', '/-/whoami', 200],
      ['GET', '/@:scope/:pkg', 404],
      ['GET', '/api/v1/users', 200],
      ['GET', '/-/v1/search', 200],
      ['DELETE', '/-/user/token/:token', 200],
    ]);
    expect(lines.every((l) => l.level === 30 && typeof l.ms === 'number' && l.ms >= 0)).toBe(true);
    expect(lines[0]!.bytesIn).toBeGreaterThan(0);
    expect(lines[1]).toMatchObject({ user: 'alice', url: '/-/whoami' });
    expect(lines[2]).toMatchObject({ user: 'alice' });
    expect(lines[1]!.bytesOut).toBeGreaterThan(0);
    expect(lines[3]).toMatchObject({ user: null, url: '/@nobody/missing' });
    expect(lines[5]!.url).toBe('/-/v1/search?text=&size=');
    expect(lines[6]!.url).toBe('/-/user/token/[redacted]');
    // Not in a request line, nor in any other line the server wrote meanwhile.
    for (const secret of [PASSWORD, token, ADMIN_TOKEN, basic.slice('Basic '.length)]) expect(log.text()).not.toContain(secret);
  });

  it('turns down to debug or off', async () => {
    const debug = await start({ requestLog: 'debug' });
    await w!.app.inject({ url: '/-/ping' });
    expect(debug.requests()).toEqual([]);
    await w!.destroy();
    w = undefined;
    const verbose = await start({ requestLog: 'debug', logLevel: 'debug' });
    await w!.app.inject({ url: '/-/ping' });
    expect(verbose.requests().map((l) => [l.level, l.url])).toEqual([[20, '/-/ping']]);
    await w!.destroy();
    w = undefined;
    const off = await start({ requestLog: 'off', logLevel: 'debug' });
    await w!.app.inject({ url: '/-/ping' });
    expect(off.requests()).toEqual([]);
  });
});

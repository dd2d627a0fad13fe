import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWharf, type TestWharf } from './helpers.js';

/** Sends the headers of a request announcing `length` body bytes, then only `sent` of them; resolves with what the server answers. */
function partialRequest(port: number, head: string, length: number, sent: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n\r\n') && /"error"/.test(answer)) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
    socket.write('{"a":"'.padEnd(sent, 'x'));
  });
}

// An anonymous write used to be read (up to ~78 MB for a publish) and parsed before its 401.
describe('anonymous writes', () => {
  let w: TestWharf;
  let port: number;
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    port = Number(new URL(await w.app.listen({ port: 0, host: '127.0.0.1' })).port);
  });
  afterAll(() => w.destroy());

  it.each([
    ['PUT /big-pkg HTTP/1.1'],
    ['PUT /@scope%2fbig HTTP/1.1'],
    ['POST /api/v1/plugins HTTP/1.1'],
    ['PUT /api/v1/flags HTTP/1.1'],
    ['POST /-/npm/v1/tokens HTTP/1.1'],
  ])('%s is answered 401 from its headers, while 70 MB of body are still unsent', async (head) => {
    const answer = await partialRequest(port, head, 70 * 1024 * 1024, 1024);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('"error":"authentication required');
  });

  it('routes anyone may write to still read their body: login, flag evaluation, telemetry', async () => {
    const login = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:newcomer', payload: { name: 'newcomer', password: 'a-long-password-123' } });
    expect(login.statusCode).toBe(201);
    const ofrep = await w.app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags', payload: { context: {} } });
    expect(ofrep.statusCode).toBe(200);
    const audit = await w.app.inject({ method: 'POST', url: '/-/npm/v1/security/advisories/bulk', payload: {} });
    expect(audit.statusCode).toBe(200);
    // An unknown path stays a 404, not a 401.
    expect((await w.app.inject({ method: 'POST', url: '/no/such/route', payload: {} })).statusCode).toBe(404);
  });
});

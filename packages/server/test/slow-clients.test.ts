import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestWharf, type TestWharf } from './helpers.js';

/**
 * Opens a socket, writes `first`, then one byte of `drip` every 200 ms; resolves when the server
 * closes the socket, with what it answered and how much of the drip it had taken.
 */
function drip(port: number, first: string, dripText: string): Promise<{ answer: string; dripped: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let dripped = 0;
    const timer = setInterval(() => {
      if (dripped < dripText.length && !socket.destroyed) socket.write(dripText[dripped++]!);
    }, 200);
    socket.on('data', (c) => (answer += c.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, dripped });
    });
    socket.write(first);
  });
}

// A client sending one byte every few seconds used to hold its socket past 320 s.
describe('slow clients', () => {
  let w: TestWharf;
  let port: number;
  beforeAll(async () => {
    w = await createTestWharf('sqlite', { requestTimeoutMs: 1500, headersTimeoutMs: 1000 });
    port = Number(new URL(await w.app.listen({ port: 0, host: '127.0.0.1' })).port);
  });
  afterAll(() => w.destroy());

  it('a body dripped a byte at a time is cut off at the request time limit with 408', async () => {
    const body = JSON.stringify({ version: 1, features: [] }).padEnd(200, ' ');
    const head = `PUT /api/v1/flags HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { answer, dripped } = await drip(port, head, body);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // 200 bytes at 5 a second would take 40 s: the server closed long before the body was complete.
    expect(dripped).toBeLessThan(40);
  });

  it('headers dripped a byte at a time are cut off at the header time limit', async () => {
    const { answer, dripped } = await drip(port, 'GET /-/ping HTTP/1.1\r\n', 'X-Slow: '.padEnd(200, 'a'));
    expect(answer).toMatch(/^HTTP\/1\.1 408 |^$/);
    expect(dripped).toBeLessThan(40);
  });

  it('a client that keeps pace is served', async () => {
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { version: 1, features: [] } })).statusCode).toBe(200);
    const res = await fetch(`http://127.0.0.1:${port}/-/ping`);
    expect(res.status).toBe(200);
  });
});

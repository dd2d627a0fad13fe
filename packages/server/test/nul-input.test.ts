import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonHasNul } from '../src/http.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';

describe('jsonHasNul', () => {
  it('finds the \\u0000 escape, not an escaped backslash followed by "u0000"', () => {
    expect(jsonHasNul(JSON.stringify({ a: 'x\u0000y' }))).toBe(true);
    expect(jsonHasNul(JSON.stringify({ a: '\\\u0000' }))).toBe(true);
    expect(jsonHasNul(JSON.stringify({ a: '\\u0000' }))).toBe(false);
    expect(jsonHasNul(JSON.stringify({ a: '\\\\u0000 and \\u0000' }))).toBe(false);
    expect(jsonHasNul(JSON.stringify({ a: 'plain', b: ['\u0001'] }))).toBe(false);
  });
});

/** A NUL in a name, a filter or a field: PostgreSQL cannot store it, so each was a 500 there (and stored on SQLite). */
describeEachBackend('NUL characters in input', (backend) => {
  let w: TestWharf;
  let token: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'author');
  });
  afterAll(() => w.destroy());

  const admin = bearer(ADMIN_TOKEN);
  const cases: [string, string, string, Record<string, string>?, unknown?][] = [
    ['public', 'GET', '/%00'],
    ['public', 'GET', '/-/package/%00/dist-tags'],
    ['public', 'GET', '/api/v1/rollouts/resolve?plugin=%00&installId=a'],
    ['public', 'GET', '/api/v1/search?q=pdf%00'],
    ['public', 'POST', '/api/v1/rollouts/reports', {}, { reports: [{ plugin: '@a/b\u0000', version: '1.0.0', activations: 1, errors: 0 }] }],
    ['admin', 'PATCH', '/api/v1/flags/a%00b', admin, { state: 'ON' }],
    ['admin', 'GET', '/api/v1/audit?actor=%00', admin],
    ['admin', 'PUT', '/api/v1/users/%00/role', admin, { role: 'reader' }],
    ['admin', 'POST', '/api/v1/plugins', admin, { id: 'com.x.nul', name: 'N\u0000', description: 'd', category: 'export' }],
  ];

  it.each(cases)('%s %s %s: 400 with a JSON message', async (_who, method, url, headers = {}, payload) => {
    const res = await w.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatch(/NUL/);
  });

  it('still accepts the text "\\u0000" (an escaped backslash), and stores it as written', async () => {
    const description = 'escape sequences such as \\u0000 are shown, not run';
    const res = await w.app.inject({ method: 'POST', url: '/api/v1/plugins', headers: bearer(token), payload: { id: 'com.x.escapes', name: 'Escapes', description, category: 'export' } });
    expect(res.statusCode, res.body).toBe(201);
    expect((await w.app.inject({ url: '/api/v1/plugins/com.x.escapes', headers: bearer(token) })).json().description).toBe(description);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, createTestWharf, type TestWharf } from '../../server/test/helpers.js';
import { wharf } from './support/run.js';
import { WHARF_BIN } from './support/server.js';

// On a fresh registry every list is empty: each says so, rather than printing nothing, which reads as a failure.
describe('empty answers and --version', () => {
  let w: TestWharf;
  let server: string[];
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    server = ['--registry', await w.app.listen({ port: 0, host: '127.0.0.1' }), '--token', ADMIN_TOKEN];
  });
  afterAll(() => w.destroy());

  it('wharf --version prints the CLI version', async () => {
    const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
    for (const flag of ['--version', '-V']) expect((await promisify(execFile)(process.execPath, [WHARF_BIN, flag])).stdout).toBe(`${version}\n`);
  });

  it.each([
    [['flags', 'list'], 'none (version 0)\n'],
    [['rollout', 'list'], 'none\n'],
    [['source', 'history'], 'none: no marketplace source was ever set (wharf source set)\n'],
    [['token', 'list'], 'none\n'],
  ])('wharf %s says none', async (args, expected) => {
    const res = await wharf(...args, ...server);
    expect(res.code ?? 0, res.err).toBe(0);
    expect(res.out).toBe(expected);
  });

  it('wharf info of a listing with no package yet says versions none', async () => {
    const listing = { id: 'com.example.soon', name: 'Soon', description: 'Not published yet.', category: 'utilities' };
    const res = await w.app.inject({ method: 'POST', url: '/api/v1/plugins', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: listing });
    expect(res.statusCode, res.body).toBe(201);
    const info = await wharf('info', 'com.example.soon', ...server);
    expect(info.out).toMatch(/\n\nversions {3}none\n$/);
  });
});

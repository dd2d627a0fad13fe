import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { wharf } from './support/run.js';

describeEachBackend('wharf flags', (backend) => {
  let w: TestWharf;
  let server: string[];
  beforeAll(async () => {
    w = await createTestWharf(backend);
    server = ['--registry', await w.app.listen({ port: 0, host: '127.0.0.1' }), '--token', ADMIN_TOKEN];
  });
  afterAll(() => w.destroy());
  afterEach(() => {
    delete process.env.WHARF_REGISTRY;
    delete process.env.WHARF_TOKEN;
  });

  it('sets a whole set from a file, lists it, patches states and gets one flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-flags-cli-'));
    const file = join(dir, 'flags.json');
    await writeFile(file, JSON.stringify({ version: 1, features: [{ name: 'new-ui', enabled: true, strategies: [{ name: 'default' }] }, { name: 'search', enabled: false }] }));
    expect(await wharf('flags', 'set', file, ...server)).toMatchObject({ out: 'flag set replaced: 2 flags, version 1\n', code: undefined });

    const patched = await wharf('flags', 'patch', 'search', '--state', 'rollout', '--percentage', '25%', ...server);
    expect(patched.out).toBe('search: ROLLOUT 25% (version 2)\n');
    expect((await wharf('flags', 'patch', 'new-ui', '--state', 'force-off', ...server)).out).toBe('new-ui: FORCE_OFF (version 3)\n');
    await wharf('flags', 'patch', 'search', '--variants', '[{"name":"a","weight":1000}]', ...server);

    // The environment stands in for the flags.
    process.env.WHARF_REGISTRY = server[1];
    process.env.WHARF_TOKEN = ADMIN_TOKEN;
    const list = await wharf('flags', 'list');
    expect(list.out.split('\n')).toEqual(['FLAG    STATE          VARIANTS', 'new-ui  FORCE_OFF      -', 'search  ROLLOUT 25%    a', 'version 4', '']);
    const get = await wharf('flags', 'get', 'search');
    expect(JSON.parse(get.out)).toMatchObject({ state: 'ROLLOUT', percentage: 25, version: 4, feature: { name: 'search', variants: [{ name: 'a' }] } });
    expect(JSON.parse((await wharf('flags', 'list', '--json')).out)).toMatchObject({ version: 4, states: { 'new-ui': { state: 'FORCE_OFF' } } });
  });

  it('patches and gets a flag with a UTF-8 key', async () => {
    const key = 'Feature.UTF-8.😊_φriend_你好_🌍';
    expect((await wharf('flags', 'patch', key, '--state', 'on', ...server)).out).toMatch(new RegExp(`^${key.replace(/\./g, '\\.')}: ON \\(version \\d+\\)\n$`, 'u'));
    expect(JSON.parse((await wharf('flags', 'get', key, ...server)).out)).toMatchObject({ state: 'ON', feature: { name: key } });
  });

  it('exits 1 with the reason on bad input, refusals and unreachable servers', async () => {
    expect(await wharf('flags', 'patch', 'x', '--state', 'SIDEWAYS', ...server)).toMatchObject({ code: 1, err: expect.stringMatching(/invalid change/) });
    expect(await wharf('flags', 'patch', 'nope', '--percentage', '5', ...server)).toMatchObject({ code: 1, err: expect.stringMatching(/404 flag nope does not exist/) });
    expect(await wharf('flags', 'get', 'nope', ...server)).toMatchObject({ code: 1, err: expect.stringMatching(/flag nope does not exist/) });
    expect(await wharf('flags', 'set', '/no/such/file.json', ...server)).toMatchObject({ code: 1, err: expect.stringMatching(/cannot read/) });
    expect(await wharf('flags', 'list', '--registry', server[1]!)).toMatchObject({ code: 1, err: expect.stringMatching(/401/) });
    expect(await wharf('flags', 'list', '--registry', 'http://127.0.0.1:9', '--token', 't')).toMatchObject({ code: 1, err: expect.stringMatching(/fetch failed/) });
  });
});

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './support/server.js';
import { wharf } from './support/run.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), `wharf-trust-init-${p}-`));

// A new user's path to a verified install: the operator reads the fingerprint off `wharf serve`, the
// user pins the root with `wharf trust init` and compares it, then verify/install need no --root.
describe('wharf trust init', () => {
  let server: RunningServer;
  let other: RunningServer;
  let fingerprint: string;
  beforeAll(async () => {
    [server, other] = await Promise.all([startServer({ args: ['--samples'] }), startServer()]);
    fingerprint = /Trust root fingerprint (SHA256:[0-9a-f]{64})/.exec(server.log())![1]!;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server.stop(), other.stop()]);
  });

  it('without a pinned root, verify says to run wharf trust init instead of asking for --root', async () => {
    const state = await tmp('none');
    await expect(wharf('verify', '@cartae/plugin-hello@1.0.0', '--registry', server.url, '--state', state)).rejects.toThrow(
      `no trusted root for ${server.url} yet: run wharf trust init --registry ${server.url}`,
    );
  });

  it('pins the root the server printed the fingerprint of; verify and install then use it', async () => {
    const state = await tmp('state');
    const init = await wharf('trust', 'init', '--registry', server.url, '--state', state, '--fingerprint', fingerprint);
    expect(init.code ?? 0, init.err).toBe(0);
    expect(init.out).toContain(`trusting ${server.url}: root v1\n  fingerprint ${fingerprint}\n`);
    expect(init.out).toMatch(/^ {2}root {6}keys \(threshold 1\): [0-9a-f]{64}$/m);
    expect(init.out).toMatch(/^ {2}timestamp keys \(threshold 1\): [0-9a-f]{64}$/m);
    expect((await readdir(state)).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);

    const verify = await wharf('verify', '@cartae/plugin-pdf-export@1.2.0', '--registry', server.url, '--state', state);
    expect(verify.code ?? 0, verify.err).toBe(0);
    expect(verify.out).toMatch(/^verified @cartae\/plugin-pdf-export@1\.2\.0: sha512-/);
    const dir = await tmp('install');
    const install = await wharf('install', '@cartae/plugin-hello', '--registry', server.url, '--state', state, '--dir', dir);
    expect(install.code ?? 0, install.err).toBe(0);
    expect(install.out).toContain('installed @cartae/plugin-hello@1.0.0');

    // A second init would silently replace what is trusted: it needs --force.
    await expect(wharf('trust', 'init', '--registry', server.url, '--state', state)).rejects.toThrow(`already trusts root v1 of ${server.url} (${fingerprint}); --force replaces it`);
    const again = await wharf('trust', 'init', '--registry', server.url, '--state', state, '--force');
    expect(again.out).toContain(fingerprint);
  });

  it('a --root path that does not exist is refused, even when the state dir already trusts a root', async () => {
    const state = await tmp('cached');
    await wharf('trust', 'init', '--registry', server.url, '--state', state);
    const missing = join(state, 'no-such-root.json');
    await expect(wharf('verify', '@cartae/plugin-hello@1.0.0', '--registry', server.url, '--state', state, '--root', missing)).rejects.toThrow(`--root ${missing}: no such file`);
    await expect(wharf('trust', 'init', '--registry', server.url, '--state', await tmp('x'), '--root', missing)).rejects.toThrow('no such file');
  });

  it('a fingerprint that differs, or a root that does not sign this registry, trusts nothing', async () => {
    const state = await tmp('refused');
    const wrong = `SHA256:${'0'.repeat(64)}`;
    await expect(wharf('trust', 'init', '--registry', server.url, '--state', state, '--fingerprint', wrong)).rejects.toThrow(`has fingerprint ${fingerprint}, not ${wrong}: nothing was trusted`);
    expect(await readdir(state)).toEqual([]);

    // Another registry's root, handed over as if out of band: this registry's metadata does not verify under it.
    const foreign = join(await tmp('foreign'), 'root.json');
    await writeFile(foreign, await (await fetch(`${other.url}/trust/1.root.json`)).text());
    await expect(wharf('trust', 'init', '--registry', server.url, '--state', state, '--root', foreign)).rejects.toThrow(
      /does not verify against this root \[signature-threshold\]: nothing was trusted/,
    );
    expect(await readdir(state)).toEqual([]);
    await rm(state, { recursive: true, force: true });
  });

  it('a URL that is not a Wharf registry is named as such', async () => {
    await expect(wharf('trust', 'init', '--registry', `${server.url}/nothing-here`, '--state', await tmp('bad'))).rejects.toThrow(/answered 404: is .* a Wharf registry\?/);
  });
});

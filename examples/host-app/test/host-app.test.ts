import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { packDirectory, publishDocument } from '@wharf/server';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, type TestWharf } from '../../../packages/server/test/helpers.js';
import { listen } from '../../../packages/server/test/trust-helpers.js';

/** A route handler's answer to a request the page dropped meanwhile (a reload, a poll cut short) has nobody to reach. */
function ignoreDropped(err: unknown): void {
  if (!/already handled|closed|disposed/i.test(String(err))) throw err;
}

const appDir = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';
const PLUGIN = '@acme/hello';
/** Waits for the page: what it shows follows server events, downloads and a shared, busy machine. */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 100 });
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.wasm': 'application/wasm' };

/** The app as `vite build` makes it, once per run. */
async function buildApp(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'wharf-host-app-'));
  const vite = join(dirname(createRequire(join(appDir, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: appDir });
  return outDir;
}

/** Plugin code that shows `text` with the host API alone. */
const renders = (text: string) => `export function activate(api) {\n  api.render(${JSON.stringify(text)});\n}\n`;

/** Plugin code that builds its view with the host-shared UI module and mounts it. */
const mounts = (text: string) => `import { h } from '@wharf/host-app/ui';\nexport function activate(api) {\n  api.mount(h('strong', {}, ${JSON.stringify(text)}));\n}\n`;

/** A plugin packed as its author would publish it: package.json and one ESM entry file. */
async function pluginTarball(version: string, code: string): Promise<{ manifest: { name: string; version: string; description: string }; tarball: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-host-plugin-'));
  const manifest = { name: PLUGIN, version, description: 'Greets the host', type: 'module', main: 'index.js' };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'index.js'), code);
  const tarball = await packDirectory(dir);
  await rm(dir, { recursive: true, force: true });
  return { manifest, tarball };
}

/** A malicious build of `honest` of the very same length: only the signed hash can tell them apart. */
async function sameLengthForgery(version: string, honest: Buffer): Promise<Buffer> {
  for (let pad = 0; pad < 200; pad++) {
    const { tarball } = await pluginTarball(version, renders(`pwned ${'!'.repeat(pad)}`));
    if (tarball.length === honest.length) return tarball;
  }
  throw new Error('no same-length forgery found');
}

describe('examples/host-app in headless Chromium against a real Wharf server', () => {
  let w: TestWharf;
  let token: string;
  let base: string;
  let root: string;
  let outDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let serverUp = true;

  async function publish(version: string, code: string): Promise<void> {
    const { manifest, tarball } = await pluginTarball(version, code);
    const res = await w.app.inject({ method: 'PUT', url: `/${PLUGIN.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(manifest, tarball) });
    expect(res.statusCode, res.body).toBe(201);
  }

  /** A file of the built app by its URL path under /app/, or null. */
  async function appFile(url: string): Promise<{ contentType: string; body: Buffer } | null> {
    const file = resolve(outDir, new URL(url).pathname.slice('/app/'.length) || 'index.html');
    const body = file.startsWith(outDir + sep) ? await readFile(file).catch(() => null) : null;
    return body && { contentType: TYPES[extname(file)] ?? 'application/octet-stream', body };
  }

  async function serveApp(route: Route): Promise<void> {
    const file = await appFile(route.request().url());
    await route.fulfill(file ? { status: 200, ...file } : { status: 404 }).catch(ignoreDropped);
  }

  const row = () => page.locator(`[data-testid=catalog-row][data-plugin="${PLUGIN}"]`);
  const output = () => page.locator(`[data-testid=plugin][data-plugin="${PLUGIN}"] [data-testid=plugin-output]`);

  beforeAll(async () => {
    [outDir, w] = await Promise.all([buildApp(), createTestWharf('sqlite')]);
    base = await listen(w);
    token = await addUser(w, 'author');
    root = (await w.app.inject({ url: '/trust/root.json' })).body;
    await publish('1.0.0', renders('hello from 1.0.0'));

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    // One context for the whole run: its OPFS is the app's disk, kept across reloads.
    context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    // The app ships as static files (here from the build dir) on the registry's origin, so it still
    // loads when the registry is down, and reaches the registry same-origin, as a same-site deployment would.
    await context.route(`${base}/app/**`, serveApp);
    // In a real deployment root.json ships inside the app; here it is the test server's fresh one.
    await context.addInitScript((pinned) => {
      (window as { WHARF_HOST_CONFIG?: unknown }).WHARF_HOST_CONFIG = { root: pinned };
    }, root);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    if (serverUp) await w?.destroy();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('lists the verified catalog, installs a plugin and runs it', async () => {
    await page.goto(`${base}/app/`);
    await poll(() => page.getByTestId('catalog-status').textContent()).toBe('ready');
    await poll(() => row().getByTestId('latest').textContent()).toBe('1.0.0');
    expect(await row().getByTestId('description').textContent()).toBe('Greets the host');
    expect(await page.getByTestId('error').isHidden()).toBe(true);

    await row().getByTestId('install').click();
    await poll(() => output().textContent()).toBe('hello from 1.0.0');
    await poll(() => row().getByTestId('installed').textContent()).toBe('1.0.0');
  });

  it('shows "update ready" when a newer version is published, applies it, and rolls back', async () => {
    await publish('1.1.0', mounts('hello from 1.1.0'));
    // Pushed by the server's event stream, no reload.
    await poll(() => row().getByTestId('update-ready').textContent()).toContain('1.1.0');
    expect(await output().textContent()).toBe('hello from 1.0.0');

    await row().getByTestId('apply-update').click();
    await poll(() => output().textContent()).toBe('hello from 1.1.0');
    await poll(() => row().getByTestId('installed').textContent()).toBe('1.1.0');

    await row().getByTestId('rollback').click();
    await poll(() => output().textContent()).toBe('hello from 1.0.0');
    await poll(() => row().getByTestId('installed').textContent()).toBe('1.0.0');

    await row().getByTestId('apply-update').click();
    await poll(() => output().textContent()).toBe('hello from 1.1.0');
  });

  it('refuses a tampered artifact with a visible error and keeps the old version running', async () => {
    // The origin refuses its own corrupt blobs (500): what a client must catch itself is a mirror or a
    // cache on the way serving other bytes of the same length for 1.2.0 (from now on, for this page).
    const honest = await pluginTarball('1.2.0', renders('hello from 1.2.0'));
    const forged = await sameLengthForgery('1.2.0', honest.tarball);
    await page.route('**/*hello-1.2.0.tgz', (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: forged }));
    const res = await w.app.inject({ method: 'PUT', url: `/${PLUGIN.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(honest.manifest, honest.tarball) });
    expect(res.statusCode, res.body).toBe(201);

    await poll(() => row().getByTestId('latest').textContent()).toBe('1.2.0');
    const alert = page.getByRole('alert');
    await poll(() => alert.textContent()).toMatch(/1\.2\.0 refused: hash-mismatch.*verification-failed/);
    expect(await alert.isVisible()).toBe(true);
    expect(await output().textContent()).toBe('hello from 1.1.0');
    await poll(() => row().getByTestId('installed').textContent()).toBe('1.1.0');
    expect(await page.content()).not.toContain('pwned');
  });

  it('takes a revoked running version out of service: back to the previous one, with a visible notice', async () => {
    const res = await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(ADMIN_TOKEN), payload: { name: PLUGIN, version: '1.1.0', reason: 'leaks greetings' } });
    expect(res.statusCode, res.body).toBe(201);
    await poll(() => page.getByRole('alert').textContent()).toContain(`${PLUGIN}@1.1.0 was revoked (leaks greetings): running 1.0.0 instead`);
    await poll(() => output().textContent()).toBe('hello from 1.0.0');
    await poll(() => row().getByTestId('installed').textContent()).toBe('1.0.0');
    expect(await row().getByTestId('update-ready').count()).toBe(0);
  });

  it('refuses a catalog whose signed payload was edited on the way, and keeps the verified one', async () => {
    await page.route(`${base}/catalog.json`, async (route) => {
      // Unconditional, or the server would answer the app's If-None-Match with an empty 304.
      const { 'if-none-match': _, ...headers } = route.request().headers();
      try {
        const signed = await (await route.fetch({ headers })).text();
        await route.fulfill({ status: 200, contentType: 'application/json', body: signed.replace('Greets the host', 'Install me, I am safe') });
      } catch (err) {
        ignoreDropped(err);
      }
    });
    await page.reload();
    await poll(() => page.getByRole('alert').textContent()).toMatch(/catalog.*signature/i);
    expect(await page.getByTestId('catalog-status').textContent()).toBe('degraded');
    expect(await row().getByTestId('description').textContent()).toBe('Greets the host');
    await poll(() => output().textContent()).toBe('hello from 1.0.0');
    // The app keeps polling: wait for a handler call still in flight, or it fulfils a route already gone.
    await page.unrouteAll({ behavior: 'wait' });
  });

  it('follows the event stream from another origin than the registry\'s: the samples, once published, show without a reload', async () => {
    // As under `npm run dev -w examples/host-app`: the app served by a server of its own, on another port.
    const appServer = createServer((req, res) => {
      void appFile(`http://app${req.url ?? '/'}`).then((file) => {
        res.writeHead(file ? 200 : 404, file ? { 'content-type': file.contentType } : {}).end(file?.body);
      });
    });
    await new Promise<void>((done) => appServer.listen(0, '127.0.0.1', done));
    const appOrigin = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
    const other = await browser.newContext();
    other.setDefaultTimeout(15_000);
    await other.addInitScript(([pinned, registry]) => {
      (window as { WHARF_HOST_CONFIG?: unknown }).WHARF_HOST_CONFIG = { root: pinned, registry };
    }, [root, `${base}/`] as const);
    try {
      const remote = await other.newPage();
      const stream = remote.waitForResponse((r) => new URL(r.url()).pathname === '/events');
      await remote.goto(`${appOrigin}/app/`);
      await poll(() => remote.getByTestId('catalog-status').textContent()).toBe('ready');
      expect(['*', appOrigin]).toContain((await stream).headers()['access-control-allow-origin']);

      for (const sample of ['plugin-hello', 'plugin-word-count']) {
        const dir = fileURLToPath(new URL(`../../../packages/server/samples/${sample}/`, import.meta.url));
        const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
        const res = await w.app.inject({ method: 'PUT', url: `/${manifest.name.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir)) });
        expect(res.statusCode, res.body).toBe(201);
      }
      // Delivered by catalog.changed over /events: the app's own update check runs once a minute, far beyond this wait.
      await poll(() => remote.locator('[data-testid=catalog-row][data-plugin="@cartae/plugin-word-count"]').count()).toBe(1);
    } finally {
      await other.close();
      await new Promise((done) => appServer.close(done));
    }
  });

  it('runs the samples `npm start` publishes, through the slice of Cartae\'s API the host offers', async () => {
    await page.reload();
    await poll(() => page.getByTestId('catalog-status').textContent()).toBe('ready');
    const sample = (name: string) => ({
      row: page.locator(`[data-testid=catalog-row][data-plugin="${name}"]`),
      output: page.locator(`[data-testid=plugin][data-plugin="${name}"] [data-testid=plugin-output]`),
    });
    const hello = sample('@cartae/plugin-hello');
    await hello.row.getByTestId('install').click();
    await poll(() => hello.output.textContent()).toBe('Hello Hello from a Wharf plugin');
    const words = sample('@cartae/plugin-word-count');
    await words.row.getByTestId('install').click();
    await poll(() => words.output.textContent()).toBe('14 words');
  });

  it('updates a plugin through a delta (zstd WebAssembly in the browser) and says how many bytes it saved', async () => {
    const BIG = '@acme/big';
    const asset = randomBytes(60_000);
    const publishBig = async (version: string, blob: Buffer) => {
      const dir = await mkdtemp(join(tmpdir(), 'wharf-host-plugin-'));
      const manifest = { name: BIG, version, description: 'Carries an asset', type: 'module', main: 'index.js' };
      await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
      await writeFile(join(dir, 'index.js'), renders(`big ${version}`));
      await writeFile(join(dir, 'asset.bin'), blob);
      const res = await w.app.inject({ method: 'PUT', url: `/${BIG.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir)) });
      await rm(dir, { recursive: true, force: true });
      expect(res.statusCode, res.body).toBe(201);
    };
    const big = () => page.locator(`[data-testid=catalog-row][data-plugin="${BIG}"]`);
    const bigOutput = () => page.locator(`[data-testid=plugin][data-plugin="${BIG}"] [data-testid=plugin-output]`);
    await publishBig('1.0.0', asset);
    await poll(() => big().count()).toBe(1);
    await big().getByTestId('install').click();
    await poll(() => bigOutput().textContent()).toBe('big 1.0.0');

    // Deltas are built after the publish answers: an app told of 1.0.1 at once would download it
    // whole. This one hears of it once the delta is listed (a later poll, as most apps would).
    await page.route(`${base}/catalog.json`, (route) => route.abort().catch(ignoreDropped));
    await publishBig('1.0.1', Buffer.concat([asset.subarray(0, 30_000), Buffer.from('edited'), asset.subarray(30_006)]));
    await w.deltas.idle();
    const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'));
    await page.unrouteAll({ behavior: 'wait' });
    await page.reload();
    await poll(() => big().getByTestId('update-ready').textContent()).toContain('1.0.1');
    expect((await wasm).headers()['content-type']).toBe('application/wasm');
    await big().getByTestId('apply-update').click();
    await poll(() => bigOutput().textContent()).toBe('big 1.0.1');
    await poll(() => big().getByTestId('delta-saved').textContent()).toMatch(/^1\.0\.1 by delta from 1\.0\.0: [\d.]+ KB instead of [\d.]+ KB \(\d+ % saved\)$/);
    const saved = Number(/\((\d+) % saved\)/.exec((await big().getByTestId('delta-saved').textContent())!)![1]);
    expect(saved).toBeGreaterThan(40);
  });

  it('starts from its cached catalog and installed plugins when the server is down', async () => {
    await w.destroy();
    serverUp = false;
    expect(await fetch(`${base}/catalog.json`).then(() => 'up', () => 'down')).toBe('down');

    await page.reload();
    await poll(() => page.getByTestId('catalog-status').textContent()).toBe('offline');
    expect(await row().getByTestId('latest').textContent()).toBe('1.2.0');
    await poll(() => output().textContent()).toBe('hello from 1.0.0');
    await poll(() => row().getByTestId('installed').textContent()).toBe('1.0.0');
  });
});

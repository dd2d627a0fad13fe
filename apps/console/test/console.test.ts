import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addUser, bearer, createTestWharf, type TestWharf } from '../../../packages/server/test/helpers.js';
import { publishBody } from '../../../packages/server/test/support/packages.js';

const CHROMIUM = process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots of every screen, to look at as a user would (not compared by the test). */
const SHOTS = fileURLToPath(new URL('../test-output/', import.meta.url));
const PASSWORD = 'a-long-password-123';
/** Waits for what the page shows: it follows server answers and events on a shared, busy machine. */
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 50 });

// The console as `npm run build` makes it (npm test builds first), served by a real server, in Chromium.
describe('the console at /cp in headless Chromium', () => {
  let w: TestWharf;
  let base: string;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  const text = () => page.locator('body').innerText();

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    // No admin token: the registry starts as a new one does, waiting for its first admin.
    w = await createTestWharf('sqlite', { adminToken: undefined });
    base = await w.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await browser?.close();
    await w?.destroy();
  });

  it('sends a browser from / to /cp/, and npm clients get JSON', async () => {
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/cp/');
    const res = await fetch(`${base}/`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect((await res.json()).error).toContain('this is a Wharf registry');
    const asset = /src="(\/cp\/assets\/[^"]+\.js)"/.exec(await (await fetch(`${base}/cp/`)).text())![1]!;
    expect((await fetch(`${base}${asset}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${base}/cp/`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('first run: the setup link creates the admin account and signs it in', async () => {
    const token = await w.setup.issueToken();
    await page.goto(`${base}/cp/setup?token=${token}`);
    await page.getByLabel('Name', { exact: true }).fill('root');
    await page.getByLabel('Password (at least 8 characters)').fill(PASSWORD);
    await shot('setup');
    await page.getByRole('button', { name: 'Create admin' }).click();
    await poll(() => page.getByTestId('who').textContent()).toBe('root · admin');
    expect(new URL(page.url()).pathname).toBe('/cp/');
    // The link is spent.
    expect((await fetch(`${base}/api/v1/setup`)).status).toBe(200);
    expect(await (await fetch(`${base}/api/v1/setup`)).json()).toEqual({ needed: false });
  });

  it('flags: creates one at ROLLOUT 30 %, evaluates it in the playground, switches it off', async () => {
    await page.getByRole('button', { name: 'Flags', exact: true }).click();
    await page.getByLabel('Key', { exact: true }).fill('new-editor');
    await page.getByLabel('State of the new flag').selectOption('ROLLOUT');
    await page.getByLabel('Rollout percentage of the new flag').fill('30');
    await page.getByRole('group', { name: 'New flag' }).getByRole('button', { name: 'Apply' }).click();
    const row = page.locator('[data-testid=flag-row][data-flag="new-editor"]');
    await poll(() => row.getByTestId('flag-state').textContent()).toBe('ROLLOUT 30%');
    await row.getByText('Definition').click();
    expect(JSON.parse((await row.getByTestId('flag-definition').textContent())!)).toMatchObject({ enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '30' } }] });
    expect(await page.getByRole('status').first().textContent()).toMatch(/new-editor: ROLLOUT 30% \(version \d+\)/);

    await page.getByLabel('Targeting key').fill('user-42');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await poll(() => page.getByTestId('evaluation').textContent()).toMatch(/^new-editor → (true|false) \((TARGETING_MATCH|DEFAULT|DISABLED)/);
    await shot('flags');
    // The server agrees: the console changed the served set.
    const served = (await (await fetch(`${base}/api/client/features`)).json()) as { features: { name: string; strategies: { parameters?: { rollout?: string } }[] }[] };
    expect(served.features.find((f) => f.name === 'new-editor')!.strategies[0]!.parameters!.rollout).toBe('30');

    // Live: a change made elsewhere (the CLI, another operator) shows without a reload.
    const token = await page.evaluate(() => sessionStorage.getItem('wharf-console-token'));
    const elsewhere = await fetch(`${base}/api/v1/flags/new-editor`, { method: 'PATCH', headers: { ...bearer(token!), 'content-type': 'application/json' }, body: JSON.stringify({ percentage: 55 }) });
    expect(elsewhere.status).toBe(200);
    await poll(() => row.getByTestId('flag-state').textContent()).toBe('ROLLOUT 55%');

    await row.getByLabel('State of new-editor').selectOption('FORCE_OFF');
    await row.getByRole('button', { name: 'Apply' }).click();
    await poll(() => row.getByTestId('flag-state').textContent()).toBe('FORCE_OFF');

    await page.setViewportSize({ width: 390, height: 844 });
    // A phone's width: wide tables scroll inside the page, the page itself never sideways.
    await poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('flags-390');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('source: switches to hybrid with a 10 % canary after a diff, sees it in history, reverts; tests a URL first', async () => {
    await page.getByRole('button', { name: 'Source', exact: true }).click();
    await poll(() => page.getByTestId('source-current').textContent()).toBe('No source configured yet: clients use the registry itself.');
    const change = async (fields: Record<string, string>) => {
      for (const [label, value] of Object.entries(fields)) {
        const field = page.getByLabel(label, { exact: true });
        if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
        else await field.fill(value);
      }
      await page.getByRole('button', { name: 'Review change' }).click();
    };
    await change({ Type: 'cdn', Priority: 'cdn', 'Sources (one name=url per line)': 'cdn=https://cdn.example.com/plugins/' });
    await page.getByRole('button', { name: 'Confirm switch' }).click();
    await poll(() => page.getByTestId('source-current').textContent()).toBe('Version 1: cdn, cdn, TTL 300 s');

    await change({ Type: 'hybrid', Priority: 'cdn, edge', 'Sources (one name=url per line)': 'cdn=https://cdn.example.com/plugins/\nedge=https://edge.example.com/', 'Canary %': '10', 'Canary source': 'edge' });
    // The confirmation shows what changes, field by field, before anything is stored.
    const diff = await page.getByTestId('diff').innerText();
    expect(diff).toContain('canaryPercent\t0\t10');
    expect(diff).toContain('type\t"cdn"\t"hybrid"');
    await shot('source-confirm');
    await page.getByRole('button', { name: 'Confirm switch' }).click();
    await poll(() => page.getByTestId('source-current').textContent()).toBe('Version 2: hybrid, cdn → edge, canary 10% → edge, TTL 300 s');
    expect(await page.locator('[data-testid=history-row][data-version="2"]').innerText()).toContain('hybrid, cdn → edge, canary 10% → edge');
    const served = (await (await fetch(`${base}/api/v1/client-config`)).json()) as { version: number; marketplaceSource: { canaryPercent: number } };
    expect(served).toMatchObject({ version: 2, marketplaceSource: { canaryPercent: 10 } });

    await page.getByRole('button', { name: 'Revert to v1' }).click();
    await page.getByRole('button', { name: 'Confirm switch' }).click();
    await poll(() => page.getByTestId('source-current').textContent()).toBe('Version 3: cdn, cdn, TTL 300 s');

    // The server tests a candidate through its guarded fetch: its own host is never fetched.
    await page.getByLabel('Candidate URL').fill(`${base}/`);
    await page.getByRole('button', { name: 'Test this URL' }).click();
    await poll(() => page.getByTestId('probe').textContent()).toMatch(/^Not usable: 127\.0\.0\.1 is a loopback, private or link-local address: not fetched$/);

    // The fleet's opt-in counts, today's and yesterday's, charted per day.
    await w.store.db.transaction().execute((trx) => w.sources.repo.addStats(trx, new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), [{ source: 'cdn', requests: 12, errors: 1, rateLimited: 0, fallbacks: 0 }]));
    const stats = await fetch(`${base}/api/v1/sources/stats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sources: [{ source: 'cdn', requests: 40, errors: 3, rateLimited: 0, fallbacks: 1 }] }) });
    expect(stats.status).toBe(202);
    await page.getByRole('button', { name: 'Flags', exact: true }).click();
    await page.getByRole('button', { name: 'Source', exact: true }).click();
    await poll(() => page.getByTestId('fleet-summary').textContent()).toBe('Fleet: 52 requests and 4 errors reported over 14 days, from cdn.');
    await shot('source');
  });

  it('moderation: approves a pending listing, which search then finds; dismisses a report', async () => {
    const author = await addUser(w, 'author', PASSWORD);
    const listing = { id: 'com.acme.mood', name: 'Mood Tracker', description: 'Tracks how notes feel.', category: 'productivity' };
    expect((await fetch(`${base}/api/v1/plugins`, { method: 'POST', headers: { ...bearer(author), 'content-type': 'application/json' }, body: JSON.stringify(listing) })).status).toBe(201);
    await page.getByRole('button', { name: 'Moderation', exact: true }).click();
    const row = page.locator('[data-testid=listing-row][data-plugin="com.acme.mood"]');
    await poll(() => row.innerText()).toContain('Mood Tracker');
    await shot('moderation');
    await row.getByRole('button', { name: 'Approve' }).click();
    await poll(() => page.getByRole('status').textContent()).toBe('com.acme.mood is published.');
    await poll(() => row.count()).toBe(0);
    const found = (await (await fetch(`${base}/api/v1/search?q=mood`)).json()) as { hits: { id: string }[] };
    expect(found.hits.map((h) => h.id)).toContain('com.acme.mood');

    const reporter = await addUser(w, 'reporter', PASSWORD);
    const report = await fetch(`${base}/api/v1/plugins/com.acme.mood/reports`, { method: 'POST', headers: { ...bearer(reporter), 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'spam', details: 'Posts ads in notes.' }) });
    expect(report.status, await report.clone().text()).toBe(201);
    await page.getByRole('button', { name: 'published', exact: true }).click();
    await page.getByRole('button', { name: 'pending', exact: true }).click();
    await poll(() => page.getByTestId('report-row').innerText()).toContain('Posts ads in notes.');
    await page.getByTestId('report-row').getByRole('button', { name: 'Dismiss' }).click();
    await poll(() => page.getByText('No open reports.').count()).toBe(1);
  });

  it('rollouts: starts one at 10 %, shows each version\'s error rate against the limit, rolls it back', async () => {
    const author = await addUser(w, 'roller', PASSWORD);
    for (const [version, tag] of [['1.0.0', 'stable'], ['1.1.0', 'latest']] as const) {
      const res = await w.app.inject({ method: 'PUT', url: '/@acme%2froll', headers: bearer(author), payload: publishBody('@acme/roll', version, { tag }).body });
      expect(res.statusCode, res.body).toBe(201);
    }
    await page.getByRole('button', { name: 'Rollouts', exact: true }).click();
    await page.getByLabel('Plugin', { exact: true }).fill('@acme/roll');
    await page.getByLabel('Version', { exact: true }).fill('1.1.0');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const row = page.getByTestId('rollout-row').first();
    await poll(() => row.innerText()).toMatch(/@acme\/roll@stable\s+1\.0\.0 → 1\.1\.0\s+10%\s+active/);
    // Clients report (opt-in counts); below the minimum sample nothing is decided yet.
    const report = await fetch(`${base}/api/v1/rollouts/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reports: [{ plugin: '@acme/roll', version: '1.0.0', activations: 60, errors: 1 }, { plugin: '@acme/roll', version: '1.1.0', activations: 18, errors: 2 }] }),
    });
    expect(report.status).toBe(202);
    await page.getByRole('button', { name: 'Rollouts', exact: true }).click();
    await page.getByLabel('New share of @acme/roll@stable').fill('25');
    await page.getByRole('button', { name: 'Raise' }).click();
    await poll(() => row.innerText()).toMatch(/25%\s+active/);
    await poll(() => page.locator('figcaption').textContent()).toBe('Health of @acme/roll: 1.0.0: 1.64% errors in 61 reports; 1.1.0: 10% errors in 20 reports. Rolled back above 6.64%.');
    await shot('rollouts');
    await row.getByRole('button', { name: 'Roll back' }).click();
    await poll(() => row.getByTestId('rollout-state').textContent()).toBe('rolled back (by root from the console)');
    const resolved = (await (await fetch(`${base}/api/v1/rollouts/resolve?plugin=${encodeURIComponent('@acme/roll')}&channel=stable&installId=any`)).json()) as { version: string };
    expect(resolved.version).toBe('1.0.0');
  });

  it('snapshots: a draft edited, previewed as a diff and published twice, then rolled back to v1', async () => {
    await page.getByRole('button', { name: 'Snapshots', exact: true }).click();
    await poll(() => page.getByTestId('snapshot-current').textContent()).toBe('Nothing published yet.');
    const editor = page.getByLabel('Draft document (JSON)');
    await editor.fill('{ "theme": "dark", ');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await poll(() => page.getByRole('alert').textContent()).toMatch(/^The draft is not JSON/);
    const publishDoc = async (doc: Record<string, unknown>, version: number) => {
      await editor.fill(JSON.stringify(doc, null, 2));
      await page.getByRole('button', { name: 'Save draft' }).click();
      await poll(() => page.getByRole('status').textContent()).toBe('Draft saved.');
      await page.getByRole('button', { name: 'Promote to preview' }).click();
      await poll(() => page.getByTestId('diff').innerText()).toContain('theme');
      if (version === 2) {
        const link = (await page.getByTestId('preview-link').textContent())!;
        expect(((await (await fetch(link)).json()) as { document: unknown }).document).toEqual(doc);
        await shot('snapshots-preview');
      }
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await poll(() => page.getByTestId('snapshot-current').textContent()).toBe(`Published: version ${version}, by root`);
    };
    await publishDoc({ theme: 'dark', maxPlugins: 5 }, 1);
    await publishDoc({ theme: 'light', maxPlugins: 5 }, 2);
    await page.locator('[data-testid=snapshot-row][data-version="1"]').getByRole('button', { name: 'Diff with current' }).click();
    await poll(() => page.getByTestId('diff').last().innerText()).toContain('theme\t"dark"\t"light"');
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await poll(() => page.getByTestId('snapshot-current').textContent()).toBe('Published: version 3 (rollback of 1), by root');
    await shot('snapshots');
    const served = (await (await fetch(`${base}/api/v1/snapshots/published`)).json()) as { version: number; document: Record<string, unknown> };
    expect(served).toMatchObject({ version: 3, document: { theme: 'dark', maxPlugins: 5 } });
  });

  it('version gate: a hard block below 2.0.0, and what a host of 1.9.0 and of 2.1.0 is told', async () => {
    await page.getByRole('button', { name: 'Version gate', exact: true }).click();
    await page.getByLabel('Latest version').fill('2.4.0');
    await page.getByLabel('Minimum supported').fill('2.0.0');
    await page.getByLabel('Mode', { exact: true }).selectOption('HARD_BLOCK');
    await page.getByLabel('Message to users').fill('Please update Cartae.');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await poll(() => page.getByRole('status').first().textContent()).toBe('Saved: clients see it at their next check.');
    for (const [version, told] of [['1.9.0', '1.9.0: HTTP 426, update required (HARD_BLOCK)'], ['2.1.0', '2.1.0: HTTP 200, update available (HARD_BLOCK)']]) {
      await page.getByLabel('Client version').fill(version!);
      await page.getByRole('button', { name: 'Check' }).click();
      await poll(() => page.getByTestId('gate-check').textContent()).toBe(told);
    }
    await shot('gate');
  });

  it('plugins: search narrowed by a facet, a plugin\'s versions, and a version revoked for every verifying client', async () => {
    const author = await addUser(w, 'pluginist', PASSWORD);
    for (const version of ['1.0.0', '1.1.0']) {
      const res = await w.app.inject({ method: 'PUT', url: '/@pdfco%2fexport-pdf', headers: bearer(author), payload: publishBody('@pdfco/export-pdf', version).body });
      expect(res.statusCode, res.body).toBe(201);
    }
    const listing = { id: 'com.acme.export-pdf', name: 'Export PDF', description: 'Notes to PDF.', category: 'export', package: '@pdfco/export-pdf', tags: ['pdf'] };
    await fetch(`${base}/api/v1/plugins`, { method: 'POST', headers: { ...bearer(author), 'content-type': 'application/json' }, body: JSON.stringify(listing) });
    const admin = await page.evaluate(() => sessionStorage.getItem('wharf-console-token'));
    const approved = await fetch(`${base}/api/v1/moderation/plugins/com.acme.export-pdf/state`, { method: 'PUT', headers: { ...bearer(admin!), 'content-type': 'application/json' }, body: JSON.stringify({ state: 'published' }) });
    expect(approved.status).toBe(200);

    // Host apps whose users opted in report counters; the plugin's panel charts them.
    const counters = await fetch(`${base}/api/v1/analytics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ optIn: true, counters: [{ plugin: 'com.acme.export-pdf', installs: 7, activations: 30, errors: 2 }] }) });
    expect(counters.status).toBe(202);
    await page.getByRole('button', { name: 'Plugins', exact: true }).click();
    await poll(() => page.getByTestId('plugin-row').count()).toBeGreaterThanOrEqual(2);
    await page.getByRole('group', { name: 'Category' }).getByRole('button', { name: /^export \(\d+\)$/ }).click();
    await poll(() => page.getByTestId('search-total').textContent()).toBe('1 plugin');
    await page.getByRole('button', { name: 'Export PDF' }).click();
    await poll(() => page.getByTestId('version-row').count()).toBe(2);
    await poll(() => page.getByTestId('usage-summary').textContent()).toBe('Usage: 7 installs, 30 activations and 2 errors reported over 30 days.');
    await shot('plugins');
    page.once('dialog', (d) => void d.accept('leaks notes to a third party'));
    await page.locator('[data-testid=version-row][data-version="1.0.0"]').getByRole('button', { name: 'Revoke' }).click();
    await poll(() => page.getByRole('status').textContent()).toBe('@pdfco/export-pdf@1.0.0 is revoked.');
    const catalog = (await (await fetch(`${base}/catalog.json`)).text());
    expect(catalog).toContain('leaks notes to a third party');

    page.once('dialog', (d) => void d.accept('use 2.0'));
    const latest = page.locator('[data-testid=version-row][data-version="1.1.0"]');
    await latest.getByRole('button', { name: 'Deprecate' }).click();
    await poll(() => latest.innerText()).toContain('deprecated: use 2.0');
    const packument = (await (await fetch(`${base}/@pdfco%2fexport-pdf`)).json()) as { versions: Record<string, { deprecated?: string }> };
    expect(packument.versions['1.1.0']!.deprecated).toBe('use 2.0');
  });

  it('signs out (the session token is revoked) and back in with the password; a wrong one is said so', async () => {
    const token = await page.evaluate(() => sessionStorage.getItem('wharf-console-token'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Wharf' }).waitFor();
    expect((await fetch(`${base}/api/v1/me`, { headers: bearer(token!) })).status).toBe(401);

    await page.getByLabel('Name', { exact: true }).fill('root');
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await poll(() => page.getByRole('alert').textContent()).toBe('401: wrong user name or password');
    await shot('sign-in-refused');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await poll(() => page.getByTestId('who').textContent()).toBe('root · admin');
  });

  it('audit log: the flag changes are there, filtered by target; the chain verifies in the browser, and a tampered row is caught', async () => {
    await page.getByRole('button', { name: 'Audit log', exact: true }).click();
    await poll(text).toContain('flags.update');
    await page.getByLabel('Target').fill('flag:new-editor');
    await page.getByRole('button', { name: 'Filter' }).click();
    await poll(() => page.getByTestId('audit-row').count()).toBe(3);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await poll(() => page.getByTestId('verification').textContent()).toMatch(/^Chain intact: \d+ entries, head [0-9a-f]{16}… \(checked in this browser\)$/);
    await shot('audit');
    // Someone with database access rewrites history: the browser's own check names the row.
    await w.store.db.updateTable('audit_log').set({ actor: 'nobody' }).where('action', '=', 'flags.update').execute();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await poll(() => page.getByTestId('verification').textContent()).toMatch(/^Chain broken at entry \d+: edited/);
  });

  it('users: an admin makes a publisher a release manager; anyone creates and revokes their own token', async () => {
    await addUser(w, 'rel', PASSWORD);
    await page.getByRole('button', { name: 'Users', exact: true }).click();
    const row = page.locator('[data-testid=user-row][data-user="rel"]');
    await row.getByLabel('Role of rel').selectOption('release-manager');
    await row.getByRole('button', { name: 'Set' }).click();
    await poll(() => page.getByRole('status').textContent()).toBe('rel is now release-manager.');
    await shot('users');
    const relSession = (await (await fetch(`${base}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'rel', password: PASSWORD }) })).json()) as { token: string };
    expect(((await (await fetch(`${base}/api/v1/me`, { headers: bearer(relSession.token) })).json()) as { role: string }).role).toBe('release-manager');

    await page.getByRole('button', { name: 'Your tokens', exact: true }).click();
    await page.getByLabel('Name', { exact: true }).fill('ci');
    await page.getByLabel('Acts as').selectOption('publisher');
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token').locator('code').textContent())!;
    expect(await page.getByLabel('Your password').inputValue()).toBe('');
    expect(((await (await fetch(`${base}/api/v1/me`, { headers: bearer(secret) })).json()) as { role: string }).role).toBe('publisher');
    const ciRow = page.getByTestId('token-row').filter({ has: page.getByRole('cell', { name: 'ci', exact: true }) });
    await poll(() => ciRow.innerText()).toContain('publisher');
    await shot('tokens');
    await ciRow.getByRole('button', { name: 'Revoke' }).click();
    await poll(() => ciRow.count()).toBe(0);
    expect((await fetch(`${base}/api/v1/me`, { headers: bearer(secret) })).status).toBe(401);
  });

  it('a reader sees no flags and no write control, and the API refuses its writes', async () => {
    const readerToken = await addUser(w, 'rita', PASSWORD);
    await w.store.db.updateTable('users').set({ role: 'reader' }).where('name', '=', 'rita').execute();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with a token instead' }).click();
    await page.getByLabel('Token').fill(readerToken);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await poll(() => page.getByTestId('who').textContent()).toBe('rita · reader');
    // Only what a reader may see is offered: the plugins and their own tokens.
    expect(await page.getByRole('navigation').getByRole('button').allTextContents()).toEqual(['Plugins', 'Your tokens']);
    await poll(text).toContain('Plugins');
    expect(await page.getByRole('button', { name: 'Apply' }).count()).toBe(0);
    await shot('reader');
    const write = await fetch(`${base}/api/v1/flags/new-editor`, { method: 'PATCH', headers: { ...bearer(readerToken), 'content-type': 'application/json' }, body: JSON.stringify({ state: 'ON' }) });
    expect(write.status).toBe(403);
  });
});

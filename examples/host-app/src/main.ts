import { CatalogManager, HealthReporter, MemoryStore, OpfsStore, PluginInstaller, PluginLoader, UpdateManager, isPluginError, type ByteStore, type CatalogStatus, type LoadedPlugin, type PluginState, type UpdateInfo } from '@wharf/sdk';
import { hostConfig, installId, pinnedRoot } from './config.js';
import { h, hostApi, ui } from './plugin-api.js';

const HOST_VERSION = '1.0.0';

const $ = <T extends HTMLElement>(testId: string) => document.querySelector<T>(`[data-testid="${testId}"]`)!;
const alertBox = $('error');
const catalogBody = $('catalog');
const pluginsBox = $('plugins');

/**
 * Lists what went wrong until the next user action: a refused update must not flash by unseen, nor
 * be hidden by the next background error.
 */
function showError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const text = isPluginError(err) ? `${message} (${err.code})` : message;
  console.error(err);
  if (Array.from(alertBox.children).some((p) => p.textContent === text)) return;
  alertBox.append(h('p', {}, text));
  while (alertBox.children.length > 5) alertBox.firstElementChild!.remove();
  alertBox.hidden = false;
}

function clearError(): void {
  alertBox.hidden = true;
  alertBox.replaceChildren();
}

/** A failed fetch (server down, no network), as opposed to bytes that arrived and did not verify. */
const isNetworkError = (err: Error | undefined) => err instanceof TypeError || (err as { code?: string } | undefined)?.code === 'fetch-failed';

function showStatus(status: CatalogStatus, error?: Error): void {
  // degraded = serving the last verified catalog: offline when the server is unreachable.
  const shown = status === 'degraded' || status === 'error' ? (error === undefined ? 'cached' : isNetworkError(error) ? 'offline' : status) : status;
  $('catalog-status').textContent = shown;
  $('catalog-status').title = error?.message ?? '';
}

async function openStore(): Promise<ByteStore> {
  if (OpfsStore.supported()) return OpfsStore.open('wharf-host-app');
  showError(new Error('this browser has no Origin Private File System: nothing is kept across reloads'));
  return new MemoryStore();
}

const config = hostConfig();
$('registry').textContent = config.registry;
const store = await openStore();
const catalog = new CatalogManager({ baseUrl: config.registry, root: await pinnedRoot(store, config), store });
// Usage counts for the marketplace and for staged rollouts: installs, activations and errors per
// plugin version, aggregated here, with no install id, user or error text. Opt-in: a real app sends
// them only after its user agreed (and calls reporter.setAnalytics(false) when they withdraw); this
// demo opts in, so that the registry's install counts and `sort=downloads` move as you try it.
// The registry is the Wharf server here; an app reading from a mirror gives the server's URL instead.
const reporter = new HealthReporter({ url: config.registry, catalog, analytics: true, onError: (err) => console.warn('usage counts not sent yet:', err.message) });
reporter.start({ intervalMs: 30_000 });
// Hidden is often the last moment the page runs: send what has been counted so far.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') reporter.flush().catch(() => undefined);
});
const installer = new PluginInstaller({ catalog, store, installId: await installId(store), hostVersion: HOST_VERSION, reporter });
const loader = new PluginLoader({ installer, shared: { '@wharf/host-app/ui': ui } });
const updates = new UpdateManager({ installer, intervalMs: 60_000 });
const running = new Map<string, LoadedPlugin>();

/** Starts and stops of one plugin, in order: an install's and a revocation's may overlap. */
const lanes = new Map<string, Promise<void>>();
function inLane(name: string, step: () => Promise<void>): Promise<void> {
  const next = (lanes.get(name) ?? Promise.resolve()).then(step);
  lanes.set(name, next);
  return next;
}
const run = (name: string) => inLane(name, () => start(name));
const halt = (name: string) => inLane(name, () => stop(name));

/** Runs a plugin's active version in its own panel, stopping the version that ran before. */
async function start(name: string): Promise<void> {
  await stop(name);
  const panel = h('section', { 'data-testid': 'plugin', 'data-plugin': name });
  const output = h('div', { 'data-testid': 'plugin-output' });
  const title = h('h3', {}, name);
  panel.append(title, output);
  pluginsBox.append(panel);
  try {
    const state = await installer.get(name);
    const loaded = await loader.loadPlugin(name, hostApi({ name, version: state?.active ?? '', hostVersion: HOST_VERSION }, output));
    title.textContent = `${name}@${loaded.version}`;
    panel.dataset.version = loaded.version;
    running.set(name, loaded);
  } catch (err) {
    panel.remove();
    showError(err);
  }
}

async function stop(name: string): Promise<void> {
  const loaded = running.get(name);
  running.delete(name);
  pluginsBox.querySelector(`[data-testid="plugin"][data-plugin="${CSS.escape(name)}"]`)?.remove();
  await loaded?.deactivate().catch(showError);
}

/** The catalog table: one row per plugin, with what is installed and what can be done. */
async function render(): Promise<void> {
  const states = new Map<string, PluginState>((await installer.list()).map((s) => [s.name, s]));
  let ready: UpdateInfo[] = [];
  try {
    ready = (await updates.checkForUpdates()).filter((u) => u.ready);
  } catch {
    // No fresh catalog (first start offline, or expired): nothing to offer.
  }
  const rows = (catalog.getCatalog()?.plugins ?? []).map((plugin) => {
    const state = states.get(plugin.name);
    const update = ready.find((u) => u.name === plugin.name);
    const latest = plugin.distTags.latest ?? plugin.versions.at(-1)?.version ?? '';
    const actions = h('td', {});
    if (!state?.active) actions.append(h('button', { 'data-testid': 'install', 'data-action': 'install' }, 'Install'));
    if (update) {
      actions.append(h('span', { 'data-testid': 'update-ready' }, `Update ready: ${update.available}`), h('button', { 'data-testid': 'apply-update', 'data-action': 'apply' }, `Update to ${update.available}`));
    }
    // What a delta update saved, from the install record (so it survives a reload).
    const delta = state?.versions.find((v) => v.version === state.active)?.delta;
    if (delta) {
      const saved = Math.round((1 - delta.bytes / delta.fullBytes) * 100);
      actions.append(h('span', { 'data-testid': 'delta-saved' }, `${state!.active} by delta from ${delta.from}: ${kb(delta.bytes)} instead of ${kb(delta.fullBytes)} (${saved} % saved)`));
    }
    if (state?.active && state.previous.some((v) => state.versions.some((i) => i.version === v))) {
      actions.append(h('button', { 'data-testid': 'rollback', 'data-action': 'rollback' }, `Roll back to ${state.previous[0]}`));
    }
    return h(
      'tr',
      { 'data-testid': 'catalog-row', 'data-plugin': plugin.name },
      h('td', { 'data-testid': 'name' }, plugin.listing?.displayName ?? plugin.name),
      h('td', { 'data-testid': 'latest' }, latest),
      h('td', { 'data-testid': 'description' }, plugin.description ?? ''),
      h('td', { 'data-testid': 'installed' }, state?.active ?? (state?.disabled ? `disabled (${state.disabled.reason})` : '')),
      actions,
    );
  });
  catalogBody.replaceChildren(...rows);
  const v = catalog.getCatalog()?.version;
  $('catalog-version').textContent = v === undefined ? '' : `v${v}`;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Renders one at a time, and once more if asked meanwhile: events arrive in bursts. */
let rendering: Promise<void> | null = null;
let renderAgain = false;
function refreshView(): void {
  if (rendering) {
    renderAgain = true;
    return;
  }
  rendering = render()
    .catch(showError)
    .finally(() => {
      rendering = null;
      if (renderAgain) {
        renderAgain = false;
        refreshView();
      }
    });
}

const ACTIONS: Record<string, (name: string) => Promise<unknown>> = {
  install: (name) => installer.install(name),
  apply: (name) => updates.applyUpdate(name),
  rollback: (name) => installer.rollback(name),
};

catalogBody.addEventListener('click', (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
  const name = button?.closest<HTMLElement>('[data-plugin]')?.dataset.plugin;
  const action = button && ACTIONS[button.dataset.action!];
  if (!button || !name || !action) return;
  clearError();
  button.disabled = true;
  action(name)
    .catch(showError)
    .finally(refreshView);
});

catalog.on('status', ({ status, error }) => showStatus(status, error));
catalog.on('error', ({ error }) => {
  if (!isNetworkError(error)) showError(error);
});
catalog.on('catalog-updated', refreshView);
// Whatever switched the active version (install, update, rollback, a revocation's fallback) runs now.
installer.on('activated', ({ name }) => void run(name).finally(refreshView));
installer.on('revoked', ({ name, version, reason, fallback }) => {
  showError(new Error(`${name}@${version} was revoked (${reason}): ${fallback ? `running ${fallback} instead` : 'disabled'}`));
  void (fallback === null ? halt(name) : run(name)).finally(refreshView);
});
installer.on('error', ({ error }) => showError(error));
updates.on('update-ready', refreshView);
// Network failures only delay an update (the status line says offline); anything else is a refusal.
updates.on('update-failed', ({ error }) => {
  if (!isPluginError(error, 'network')) showError(error);
});
updates.on('error', ({ error }) => showError(error));

// Cached catalog and installed plugins first: the app works before (or without) the network.
await catalog.initialize();
for (const state of await installer.list()) if (state.active) await run(state.name);
refreshView();
catalog.subscribe();
updates.start();

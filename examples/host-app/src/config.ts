import { getText, setText, type ByteStore } from '@wharf/sdk';

/** What a deployment sets: the registry (or mirror) to read from and the root of trust it ships. */
export interface HostConfig {
  /** Base URL of the catalog, trust metadata and tarballs; must be same-origin or send CORS headers. */
  registry: string;
  /** The root.json the app ships with. Without it the first start trusts the registry's current root. */
  root?: string;
}

declare global {
  interface Window {
    /** Set by the page that embeds the app (or a test) before the app's script runs. */
    WHARF_HOST_CONFIG?: Partial<HostConfig>;
  }
}

/** `?registry=` on the page URL, else the embedding page's config, else the app's own origin. */
export function hostConfig(): HostConfig {
  const injected = window.WHARF_HOST_CONFIG ?? {};
  const registry = new URL(new URL(location.href).searchParams.get('registry') ?? injected.registry ?? '/', location.href);
  if (!registry.pathname.endsWith('/')) registry.pathname += '/';
  return { registry: registry.href, ...(injected.root ? { root: injected.root } : {}) };
}

const ROOT_KEY = 'host/pinned-root.json';
const INSTALL_ID_KEY = 'host/install-id';

/**
 * The root of trust, fixed at first start and kept: later starts never take a new one from the
 * network or the page (key rotations arrive as signed root updates through the catalog client).
 */
export async function pinnedRoot(store: ByteStore, config: HostConfig): Promise<string> {
  const kept = await getText(store, ROOT_KEY);
  if (kept !== null) return kept;
  let root = config.root;
  if (root === undefined) {
    const res = await fetch(new URL('trust/root.json', config.registry));
    if (!res.ok) throw new Error(`first start needs the registry's root.json: GET trust/root.json answered HTTP ${res.status}`);
    root = await res.text();
  }
  await setText(store, ROOT_KEY, root);
  return root;
}

/** This browser's stable random id: its bucket in staged rollouts. */
export async function installId(store: ByteStore): Promise<string> {
  const kept = await getText(store, INSTALL_ID_KEY);
  if (kept !== null) return kept;
  const id = crypto.randomUUID();
  await setText(store, INSTALL_ID_KEY, id);
  return id;
}

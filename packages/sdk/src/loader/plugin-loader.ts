import type { HealthReporter } from '../reporting/health-reporter.js';
import { PluginError } from '../install/errors.js';
import type { PluginInstaller } from '../install/installer.js';
import { entryFile } from './entry.js';
import { rewriteImports, sharedRegistry, shimSource } from './rewrite.js';

export interface PluginLoaderOptions {
  installer: PluginInstaller;
  /**
   * Packages the host provides to every plugin, by the bare name plugins import them under, e.g.
   * `{ react: React, '@cartae/plugin-sdk': sdk }`. Plugins bundle everything else.
   */
  shared?: Record<string, unknown>;
  /** Counts activations and errors per plugin version (defaults to the installer's). */
  reporter?: HealthReporter;
}

export interface LoadedPlugin {
  name: string;
  version: string;
  /** The plugin module's namespace. */
  module: Record<string, unknown>;
  /** What the plugin's `activate(api)` returned. */
  exports: unknown;
  /** Calls the plugin's `deactivate()` export, if it has one. */
  deactivate(): Promise<void>;
  /** For the host to report an error the plugin threw at run time: counted for staged rollouts (the error itself never leaves the machine). */
  reportError(error?: unknown): void;
}

interface ModuleUrl {
  url: string;
  release(): void;
}

const isNode = () => typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/**
 * A module URL for source text held in memory: blob: in browsers (no size limit, revocable); data:
 * in Node, which cannot import blob: URLs. Either way no byte is fetched again.
 */
function moduleUrl(source: string): ModuleUrl {
  if (isNode()) return { url: `data:text/javascript;base64,${base64(new TextEncoder().encode(source))}`, release: () => undefined };
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return { url, release: () => URL.revokeObjectURL(url) };
}

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

let loaderCount = 0;
let loadCount = 0;

/**
 * Runs installed plugins from their verified bytes: reads the active version back from the store,
 * checks it against the signed integrity again, rewrites imports of host-shared packages to shim
 * modules, imports the entry from memory and calls `activate(api)` with only the API the host gives.
 * In a browser the page's Content-Security-Policy must allow `blob:` scripts.
 */
export class PluginLoader {
  private readonly shared: Record<string, unknown>;
  private readonly reporter: HealthReporter | undefined;
  private readonly token = `loader-${++loaderCount}-${Math.random().toString(36).slice(2)}`;
  private readonly shims = new Map<string, ModuleUrl>();

  constructor(private readonly opts: PluginLoaderOptions) {
    this.shared = { ...opts.shared };
    this.reporter = opts.reporter ?? opts.installer.reporter;
  }

  async loadPlugin(name: string, hostApi: unknown): Promise<LoadedPlugin> {
    const { version, files } = await this.opts.installer.readActive(name);
    const fail = (code: 'bad-package' | 'no-activate' | 'activation-failed', message: string, cause?: unknown): never => {
      this.reporter?.recordError(name, version);
      throw new PluginError(code, name, `${version}: ${message}`, { cause });
    };
    let pkg: Record<string, unknown> = {};
    try {
      pkg = JSON.parse(new TextDecoder().decode(files.get('package.json'))) as Record<string, unknown>;
    } catch (err) {
      fail('bad-package', 'package.json is missing or not JSON', err);
    }
    const entry = entryFile(pkg, (p) => files.has(p));
    if (entry === null) return fail('bad-package', 'no entry file (package.json module, main or exports) in the package');
    let source: string;
    try {
      source = new TextDecoder('utf-8', { fatal: true }).decode(files.get(entry));
    } catch (err) {
      return fail('bad-package', `${entry} is not UTF-8 text`, err);
    }
    let code: string;
    try {
      code = await rewriteImports(name, entry, source, (specifier) => (Object.hasOwn(this.shared, specifier) ? this.shim(specifier).url : null));
    } catch (err) {
      this.reporter?.recordError(name, version);
      throw err;
    }
    // The load count makes every load a distinct module (fresh module state after a reload), in
    // Node too, where identical data: URLs would share one instance.
    const mod = moduleUrl(`${code}\n//# sourceURL=wharf-plugin:${name}@${version}/${entry}?load=${++loadCount}`);
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(/* @vite-ignore */ /* webpackIgnore: true */ mod.url)) as Record<string, unknown>;
    } catch (err) {
      return fail('activation-failed', `${entry} failed to evaluate: ${(err as Error).message}`, err);
    } finally {
      mod.release();
    }
    const activate = namespace.activate;
    if (typeof activate !== 'function') return fail('no-activate', `${entry} exports no activate(api) function`);
    let exports: unknown;
    try {
      exports = await (activate as (api: unknown) => unknown)(hostApi);
    } catch (err) {
      return fail('activation-failed', `activate() threw: ${(err as Error)?.message ?? String(err)}`, err);
    }
    this.reporter?.recordActivation(name, version);
    return {
      name,
      version,
      module: namespace,
      exports,
      deactivate: async () => {
        if (typeof namespace.deactivate === 'function') await (namespace.deactivate as () => unknown)();
      },
      reportError: () => this.reporter?.recordError(name, version),
    };
  }

  /** Forgets the shared objects and revokes the shim URLs; plugins already running keep their imports. */
  dispose(): void {
    for (const shim of this.shims.values()) shim.release();
    this.shims.clear();
    for (const specifier of Object.keys(this.shared)) sharedRegistry().delete(`${this.token}:${specifier}`);
  }

  private shim(specifier: string): ModuleUrl {
    let shim = this.shims.get(specifier);
    if (!shim) {
      const key = `${this.token}:${specifier}`;
      sharedRegistry().set(key, this.shared[specifier]);
      shim = moduleUrl(shimSource(key, this.shared[specifier]));
      this.shims.set(specifier, shim);
    }
    return shim;
  }
}

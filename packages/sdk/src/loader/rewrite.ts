import type { ImportSpecifier } from 'es-module-lexer';
import { PluginError } from '../install/errors.js';

/** What both builds share: the imports. */
type Lexer = { parse(source: string, name?: string): readonly [readonly ImportSpecifier[], ...unknown[]] };
let lexerPromise: Promise<Lexer> | null = null;

/**
 * The import lexer, loaded on first use (hosts that never load plugins do not pay for it): the
 * WebAssembly build, or, where the page's CSP forbids compiling WebAssembly, the asm.js build
 * (same results; a slower first parse).
 */
function loadLexer(): Promise<Lexer> {
  lexerPromise ??= (async () => {
    const wasm = await import('es-module-lexer');
    try {
      await wasm.init;
      return wasm;
    } catch {
      const js = await import('es-module-lexer/minimal/js');
      await js.init;
      return js;
    }
  })().catch((err: unknown) => {
    // A chunk that failed to load (offline, deploy in between) may load on the next attempt.
    lexerPromise = null;
    throw err;
  });
  return lexerPromise;
}

/**
 * Points a plugin's imports of host-shared packages at the host's shim modules. Anything else it
 * imports is refused: a plugin is one verified ESM file, and a relative path, another package or a
 * URL would run code that no signature covers (or fail later with a less useful error).
 */
export async function rewriteImports(plugin: string, file: string, source: string, shimUrl: (specifier: string) => string | null): Promise<string> {
  const lexer = await loadLexer();
  let imports;
  try {
    [imports] = lexer.parse(source, file);
  } catch (err) {
    throw new PluginError('bad-package', plugin, `${file} is not an ES module: ${(err as Error).message}`, { cause: err });
  }
  let out = '';
  let at = 0;
  for (const imp of imports) {
    // import.meta; and dynamic imports of computed specifiers, which nothing can check before they run.
    if (imp.t === 3 || imp.n === undefined) continue;
    const url = shimUrl(imp.n);
    if (url === null) {
      const relative = /^\.{0,2}\//.test(imp.n);
      throw new PluginError(
        'unsupported-import',
        plugin,
        relative
          ? `${file} imports ${JSON.stringify(imp.n)}: plugins must be single-file ESM bundles`
          : `${file} imports ${JSON.stringify(imp.n)}, which the host does not share: bundle it into the plugin or ask the host to share it`,
      );
    }
    // Static specifiers span the text inside the quotes, dynamic ones include them: the literal is
    // replaced whole, so no character of the URL can end it early.
    const [start, end] = imp.d > -1 ? [imp.s, imp.e] : [imp.s - 1, imp.e + 1];
    out += source.slice(at, start) + JSON.stringify(url);
    at = end;
  }
  return out + source.slice(at);
}

const REGISTRY = Symbol.for('wharf.sdk.shared');

/** Where shim modules find the host's objects: module source can only reach them through a global. */
export function sharedRegistry(): Map<string, unknown> {
  const g = globalThis as { [REGISTRY]?: Map<string, unknown> };
  return (g[REGISTRY] ??= new Map());
}

/**
 * A module re-exporting the host's object registered under `token`: its `default` export (or the
 * object itself) as default, and each own key as a named export (string export names, so keys that
 * are reserved words still work).
 */
export function shimSource(token: string, value: unknown): string {
  const keys = value !== null && (typeof value === 'object' || typeof value === 'function') ? Object.keys(value).filter((k) => k !== 'default') : [];
  const lines = [
    `const m = globalThis[Symbol.for(${JSON.stringify(REGISTRY.description)})].get(${JSON.stringify(token)});`,
    `export default m !== null && typeof m === 'object' && 'default' in m ? m.default : m;`,
    ...keys.map((k, i) => `const e${i} = m[${JSON.stringify(k)}]; export { e${i} as ${JSON.stringify(k)} };`),
  ];
  return lines.join('\n');
}

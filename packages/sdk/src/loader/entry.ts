/** The conditions an ESM host loading from memory can honour, in order of preference. */
const CONDITIONS = ['browser', 'import', 'module', 'default'];

function fromExports(exp: unknown): string | null {
  if (typeof exp === 'string') return exp;
  if (Array.isArray(exp)) {
    for (const e of exp) {
      const found = fromExports(e);
      if (found) return found;
    }
    return null;
  }
  if (exp === null || typeof exp !== 'object') return null;
  const map = exp as Record<string, unknown>;
  if ('.' in map) return fromExports(map['.']);
  for (const c of CONDITIONS) if (c in map) {
    const found = fromExports(map[c]);
    if (found) return found;
  }
  return null;
}

/**
 * The file a plugin runs from: package.json `module`, else `main`, else `exports['.']`, else npm's
 * default `index.js`; with `main`'s extension and directory fallbacks. null when none is in the package.
 */
export function entryFile(packageJson: Record<string, unknown>, has: (path: string) => boolean): string | null {
  const declared = [packageJson.module, packageJson.main, fromExports(packageJson.exports)].find((v): v is string => typeof v === 'string' && v !== '') ?? 'index.js';
  const path = declared.replace(/^\.\//, '').replace(/\/$/, '');
  for (const candidate of [path, `${path}.js`, `${path}.mjs`, `${path}/index.js`]) if (has(candidate)) return candidate;
  return null;
}

/**
 * npm package naming rules, as the public registry enforces them, so that anything
 * published to Wharf can also live on (or move to) the public registry unchanged.
 */

const MAX_NAME_LENGTH = 214;
// Lowercase, URL-safe, no leading dot or underscore: the rules of npm's validate-npm-package-name for new packages.
const PART = /^[a-z0-9][a-z0-9._~-]*$/;

export interface PackageName {
  /** Full name, e.g. `@cartae/plugin-x` or `left-pad`. */
  name: string;
  /** Scope without the `@`, or null for unscoped packages. */
  scope: string | null;
  /** Name without the scope: what npm uses for the tarball's file name. */
  bare: string;
}

/** Parses and validates a package name; returns an error message instead of throwing. */
export function parsePackageName(name: string): PackageName | { error: string } {
  if (typeof name !== 'string' || name.length === 0) return { error: 'package name is empty' };
  if (name.length > MAX_NAME_LENGTH) return { error: `package name is longer than ${MAX_NAME_LENGTH} characters` };
  if (name !== name.trim()) return { error: 'package name has leading or trailing spaces' };
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    if (slash < 0) return { error: `scoped package name "${name}" has no "/"` };
    const scope = name.slice(1, slash);
    const bare = name.slice(slash + 1);
    if (!PART.test(scope)) return { error: `invalid scope "${scope}": use lowercase letters, digits, ".", "_", "~" and "-"` };
    if (!PART.test(bare)) return { error: `invalid package name "${bare}": use lowercase letters, digits, ".", "_", "~" and "-"` };
    return { name, scope, bare };
  }
  if (!PART.test(name)) return { error: `invalid package name "${name}": use lowercase letters, digits, ".", "_", "~" and "-"` };
  if (name === 'node_modules' || name === 'favicon.ico') return { error: `"${name}" is a reserved name` };
  return { name, scope: null, bare: name };
}

export function isPackageNameError(p: PackageName | { error: string }): p is { error: string } {
  return 'error' in p;
}

/** The conventional tarball file name npm pack produces: `<bare>-<version>.tgz`. */
export function tarballFileName(name: string, version: string): string {
  const slash = name.lastIndexOf('/');
  return `${slash >= 0 ? name.slice(slash + 1) : name}-${version}.tgz`;
}

/** Path of a tarball under the registry root, as npm's convention has it: `/<name>/-/<bare>-<version>.tgz`. */
export function tarballPath(name: string, version: string): string {
  return `/${name}/-/${tarballFileName(name, version)}`;
}

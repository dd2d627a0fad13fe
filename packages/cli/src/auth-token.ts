import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The bearer token the CLI sends to `registry`: `--token`, else WHARF_TOKEN, else the token npm stored
 * for that registry (`npm login` writes `//host:port/:_authToken=…`), looked up as npm does: the
 * project's `.npmrc` (working directory) before the user's (NPM_CONFIG_USERCONFIG, else ~/.npmrc).
 */
export function resolveToken(registry: string, explicit: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string | undefined {
  if (explicit) return explicit;
  if (env.WHARF_TOKEN) return env.WHARF_TOKEN;
  const userconfig = env.NPM_CONFIG_USERCONFIG ?? env.npm_config_userconfig ?? join(env.HOME ?? homedir(), '.npmrc');
  for (const file of [join(cwd, '.npmrc'), userconfig]) {
    const token = npmrcToken(readNpmrc(file, env), registry);
    if (token) return token;
  }
  return undefined;
}

/** `_authToken` for the registry's "nerf dart" (`//host:port/path/`), then for each parent path, as npm-registry-fetch looks it up. */
export function npmrcToken(config: Map<string, string>, registry: string): string | undefined {
  const url = new URL(registry.endsWith('/') ? registry : `${registry}/`);
  let path = url.pathname;
  for (;;) {
    const token = config.get(`//${url.host}${path}:_authToken`);
    if (token) return token;
    if (path === '/') return undefined;
    path = path.replace(/[^/]*\/$/, '');
  }
}

/** An npmrc's `key=value` lines (ini, as npm writes them), `${VAR}` expanded from the environment; empty when absent. */
export function readNpmrc(file: string, env: NodeJS.ProcessEnv): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Map();
  }
  const config = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (line === '' || line.startsWith(';') || line.startsWith('#') || line.startsWith('[') || eq < 0) continue;
    const value = line.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
    config.set(line.slice(0, eq).trim(), value.replace(/\$\{([^}?]+)\??\}/g, (_m, name: string) => env[name] ?? ''));
  }
  return config;
}

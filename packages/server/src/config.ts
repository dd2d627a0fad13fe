import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PurgeTargetSchema } from './cdn/purger.js';

/** Server settings: from the config file, then env, then command-line flags (each overriding the last). */
export const ConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(4873),
  dataDir: z.string().default('./.wharf'),
  /** `postgres://…` for PostgreSQL; otherwise a SQLite file path (default `<dataDir>/wharf.sqlite`). */
  databaseUrl: z.string().optional(),
  /** Base of the URLs the registry writes into documents (tarball links); default: from each request's Host. */
  publicUrl: z.url().optional(),
  /** Anyone may create an account (`npm adduser`); when false only an admin can. */
  openRegistration: z.boolean().default(true),
  /** A static token accepted as admin, for automation and tests. */
  adminToken: z.string().min(16, 'the admin token must be at least 16 characters').optional(),
  maxTarballBytes: z.number().int().positive().default(50 * 1024 * 1024),
  /** Unpacked size a tarball may expand to: plugin-sized, and a bound on what a gzip bomb can cost. */
  maxUnpackedBytes: z.number().int().positive().default(64 * 1024 * 1024),
  /**
   * Entries a package may hold. Every file is listed, with its hash, in the signed metadata each
   * verifying client downloads and in the SBOM: 100,000 one-byte files grew targets.json by 11 MB.
   */
  maxPackageFiles: z.number().int().positive().default(10_000),
  /** Each new version gets a delta from this many earlier releases (and from every channel's version below it); 0 builds none. */
  deltaFromVersions: z.number().int().min(0).max(20).default(3),
  /** Unpacked bytes per packed byte allowed once a package unpacks past 1 MiB (decompression bombs). */
  maxCompressionRatio: z.number().positive().default(100),
  /**
   * Login and account-creation attempts per client address per minute; also the failed password
   * checks (HTTP Basic on any route, npm login, token creation) an address may make per minute.
   */
  loginRateLimit: z.number().int().positive().default(20),
  /** Failed password checks against one user name per minute, from all addresses together. */
  passwordFailuresPerUser: z.number().int().positive().default(10),
  /**
   * Anonymous SDK health reports (`POST /api/v1/rollouts/reports`) per client address per minute:
   * enough for many installs behind one NAT flushing every few minutes, not for flooding storage.
   */
  reportRateLimit: z.number().int().positive().default(300),
  /**
   * Time a client has to send a whole request, body included (a publish of a plugin-sized package
   * takes seconds); a body dripped a byte at a time is cut off here (408, then the socket closes).
   */
  requestTimeoutMs: z.number().int().positive().default(120_000),
  /** Time a client has to send the request line and headers (slow-header attacks). */
  headersTimeoutMs: z.number().int().positive().default(20_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * The level of the one log line per request (method, URL, route, status, duration, user, bytes; never a
   * credential): "debug" keeps it out of an info log, "off" drops it. WHARF_REQUEST_LOG.
   */
  requestLog: z.enum(['info', 'debug', 'off']).default('info'),
  /** Honour X-Forwarded-* from a proxy in front (nginx, a CDN). */
  trustProxy: z.boolean().default(false),
  /**
   * Browser origins allowed to call the API (host apps on their own domains); "*" for any. Auth is by
   * bearer token, never a cookie, so a page on another origin cannot act with a user's rights.
   * WHARF_CORS_ORIGINS: comma-separated. An empty list turns CORS off.
   */
  corsOrigins: z.array(z.string().min(1)).default(['*']),
  /**
   * Addresses the server may fetch although they are loopback, private or link-local (an internal
   * mirror probed as a marketplace source): CIDR ranges or exact host names. WHARF_FETCH_ALLOW:
   * comma-separated.
   */
  fetchAllowList: z.array(z.string().min(1)).default([]),
  /** The built console served at /cp (default: apps/console/dist, from the @wharf/console package). */
  consoleDir: z.string().optional(),
  /** CDN caches to purge after changes (WHARF_PURGE: the same list as JSON). */
  purge: z.array(PurgeTargetSchema).default([]),
});
export type WharfConfig = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Which `postgres://` URL or SQLite file the metadata lives in. */
export function databaseTarget(config: WharfConfig): string {
  return config.databaseUrl ?? join(resolve(config.dataDir), 'wharf.sqlite');
}

const ENV: Record<string, keyof ConfigInput> = {
  WHARF_HOST: 'host',
  WHARF_PORT: 'port',
  WHARF_DATA_DIR: 'dataDir',
  WHARF_DATABASE_URL: 'databaseUrl',
  WHARF_PUBLIC_URL: 'publicUrl',
  WHARF_ADMIN_TOKEN: 'adminToken',
  WHARF_LOG_LEVEL: 'logLevel',
  WHARF_REQUEST_LOG: 'requestLog',
};

/**
 * Merges a JSON config file (explicit path, or `wharf.config.json` in the working directory when
 * present; null for none), the WHARF_* environment and explicit overrides, then validates the result.
 */
export function loadConfig(overrides: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env, file?: string | null): WharfConfig {
  const fromFile = readConfigFile(file);
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) if (env[name] !== undefined && env[name] !== '') fromEnv[key] = env[name];
  if (env.WHARF_OPEN_REGISTRATION !== undefined) fromEnv.openRegistration = env.WHARF_OPEN_REGISTRATION !== 'false';
  if (env.WHARF_CORS_ORIGINS !== undefined) fromEnv.corsOrigins = env.WHARF_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  if (env.WHARF_FETCH_ALLOW !== undefined) fromEnv.fetchAllowList = env.WHARF_FETCH_ALLOW.split(',').map((o) => o.trim()).filter(Boolean);
  if (env.WHARF_PURGE) fromEnv.purge = parseJsonSetting('WHARF_PURGE', env.WHARF_PURGE);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = ConfigSchema.safeParse({ ...fromFile, ...fromEnv, ...defined });
  if (!parsed.success) throw new Error(`invalid configuration: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function parseJsonSetting(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${name} is not valid JSON: ${(err as Error).message}`);
  }
}

function readConfigFile(file: string | null | undefined): Record<string, unknown> {
  if (file === null) return {};
  const path = file ?? 'wharf.config.json';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!file && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

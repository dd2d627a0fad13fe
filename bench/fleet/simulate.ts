// The fleet simulation of issue 6, shared by packages/sdk/test/fleet-simulation.test.ts and
// bench/fleet/run.mjs: N SourceResolver clients in one process on a virtual clock, three in-process
// mirrors (a Git-like host that rate-limits per client address, a CDN, an edge canary) and a real
// Wharf control plane the operator switches through the admin API. Mirror URLs are 127.0.0.1 ports
// nobody listens on: requests to them are answered in-process and never reach a socket.
import { SourceResolver } from '@wharf/sdk';
import type { MarketplaceSourceInput } from '@wharf/core';

/** The Wharf server as the simulation reaches it: its fetch (in-process) and the operator's switch. */
export interface ControlPlane {
  url: string;
  /** Answers control-plane URLs; `clientIp` is the simulated caller's address. */
  fetch(url: string, init: RequestInit, clientIp: string): Promise<Response>;
  /** PUT /api/v1/config/marketplace_source as the operator; resolves with the new version. */
  set(config: MarketplaceSourceInput): Promise<number>;
}

export interface FleetOptions {
  clients: number;
  /** Clients behind one address (NAT, offices, carriers): what a per-IP limit actually sees. */
  clientsPerIp: number;
  /** The Git host's limit per address and minute. */
  rateLimitPerMinute: number;
  /** Each client loads one plugin (catalog.json, then its tarball) this often. */
  loadIntervalSeconds: number;
  /** The operator's config TTL. */
  ttlSeconds: number;
  /** Time between the operator's switches. */
  phaseSeconds: number;
  plugins: number;
}

export const DEFAULT_FLEET: FleetOptions = { clients: 10_000, clientsPerIp: 40, rateLimitPerMinute: 60, loadIntervalSeconds: 60, ttlSeconds: 120, phaseSeconds: 360, plugins: 20 };

const SOURCES = { git: 'http://127.0.0.1:9001/', cdn: 'http://127.0.0.1:9002/', edge: 'http://127.0.0.1:9003/' } as const;
type SourceName = keyof typeof SOURCES;
const BY_PORT: Record<string, SourceName> = { '9001': 'git', '9002': 'cdn', '9003': 'edge' };

/** What the operator does, in order: the fleet starts on the first. */
export const SWITCHES: { name: string; config: (ttlSeconds: number) => MarketplaceSourceInput }[] = [
  { name: 'git only (start)', config: (ttlSeconds) => ({ type: 'git', priority: ['git'], sources: { git: SOURCES.git }, ttlSeconds }) },
  { name: 'switch to cdn', config: (ttlSeconds) => ({ type: 'cdn', priority: ['cdn', 'git'], sources: { git: SOURCES.git, cdn: SOURCES.cdn }, ttlSeconds }) },
  { name: 'hybrid + 10% edge canary', config: (ttlSeconds) => ({ type: 'hybrid', priority: ['cdn', 'git'], sources: { ...SOURCES }, canaryPercent: 10, canarySource: 'edge', ttlSeconds }) },
  { name: 'back to git (cdn fallback)', config: (ttlSeconds) => ({ type: 'git', priority: ['git', 'cdn'], sources: { git: SOURCES.git, cdn: SOURCES.cdn }, ttlSeconds }) },
];

export interface PhaseReport {
  name: string;
  version: number;
  /** Share of clients on this phase's config version, seconds after the switch. */
  adoption: { afterSeconds: number; share: number }[];
  /** Seconds until every client ran on this version (null: not within the phase). */
  fullAdoptionSeconds: number | null;
  loads: number;
  failedLoads: number;
  /** Mirror requests during the phase, by source, and the Git host's 429s. */
  requests: Record<SourceName, number>;
  git429: number;
  /** Requests that reached the Git host once every client had this version. */
  gitAfterAdoption: number;
  /** Share of loads served by each source once every client had this version. */
  servedAfterAdoption: Record<SourceName, number>;
}

export interface FleetReport {
  options: FleetOptions;
  phases: PhaseReport[];
  /** Control-plane requests (client-config downloads and revalidations). */
  configRequests: number;
  wallMs: number;
}

interface Client {
  resolver: SourceResolver;
  ip: string;
  plugin: number;
}

const content = (path: string) => `content of ${path}`;

export async function simulateFleet(cp: ControlPlane, options: FleetOptions = DEFAULT_FLEET): Promise<FleetReport> {
  const started = performance.now();
  const o = options;
  let now = Date.parse('2026-01-01T00:00:00Z');
  const limiter = new Map<string, number>();
  let phase: PhaseReport | null = null;
  let adopted = false;
  let configRequests = 0;
  const lastSource = new Map<Client, SourceName>();
  const controlPlaneOrigin = new URL(cp.url).origin;

  /** The network: the control plane, and the three mirrors answered here. */
  const network = async (client: Client, input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    if (url.origin === controlPlaneOrigin) {
      configRequests++;
      return cp.fetch(url.toString(), init, client.ip);
    }
    const source = BY_PORT[url.port];
    if (!source) throw new TypeError(`fetch failed: nothing at ${url.origin}`);
    if (phase) {
      phase.requests[source]++;
      if (adopted && source === 'git') phase.gitAfterAdoption++;
    }
    if (source === 'git') {
      const window = Math.floor(now / 60_000);
      const key = `${client.ip}@${window}`;
      const count = (limiter.get(key) ?? 0) + 1;
      limiter.set(key, count);
      if (count > o.rateLimitPerMinute) {
        if (phase) phase.git429++;
        return new Response('API rate limit exceeded', { status: 429, headers: { 'retry-after': String(Math.ceil(((window + 1) * 60_000 - now) / 1000)) } });
      }
    }
    if (init.method !== 'HEAD') lastSource.set(client, source);
    return new Response(content(url.pathname.slice(1)), { status: 200, headers: { 'content-type': 'application/octet-stream' } });
  };

  await cp.set(SWITCHES[0]!.config(o.ttlSeconds));
  const clients: Client[] = [];
  for (let i = 0; i < o.clients; i++) {
    const ipIndex = Math.floor(i / o.clientsPerIp);
    const client: Client = { ip: `10.${(ipIndex >> 8) & 255}.${ipIndex & 255}.1`, plugin: i % o.plugins, resolver: undefined as unknown as SourceResolver };
    client.resolver = new SourceResolver({
      controlPlaneUrl: cp.url,
      installId: `install-${i}`,
      // What the app shipped with: the Git mirror, hard-coded.
      defaultConfig: SWITCHES[0]!.config(o.ttlSeconds),
      fetch: (input, init) => network(client, input, init),
      now: () => now,
    });
    clients.push(client);
  }
  // Loads are spread evenly over the interval: client i loads at second (i mod interval) of each interval.
  const due: Client[][] = Array.from({ length: o.loadIntervalSeconds }, () => []);
  clients.forEach((c, i) => due[i % o.loadIntervalSeconds]!.push(c));

  const load = async (client: Client): Promise<boolean> => {
    for (const path of ['catalog.json', `@sim/plugin-${client.plugin}/-/plugin-${client.plugin}-1.0.0.tgz`]) {
      try {
        const res = await client.resolver.fetch(path);
        if (res.status !== 200 || (await res.text()) !== content(path)) return false;
      } catch {
        return false;
      }
    }
    return true;
  };

  const phases: PhaseReport[] = [];
  const start = now;
  for (let s = 0; s < SWITCHES.length; s++) {
    const version = s === 0 ? 1 : await cp.set(SWITCHES[s]!.config(o.ttlSeconds));
    phase = { name: SWITCHES[s]!.name, version, adoption: [], fullAdoptionSeconds: null, loads: 0, failedLoads: 0, requests: { git: 0, cdn: 0, edge: 0 }, git429: 0, gitAfterAdoption: 0, servedAfterAdoption: { git: 0, cdn: 0, edge: 0 } };
    phases.push(phase);
    adopted = false;
    for (let second = 0; second < o.phaseSeconds; second++) {
      now = start + (s * o.phaseSeconds + second) * 1000;
      const batch = due[(s * o.phaseSeconds + second) % o.loadIntervalSeconds]!;
      const results = await Promise.all(batch.map(load));
      phase.loads += results.length;
      phase.failedLoads += results.filter((ok) => !ok).length;
      if (adopted) for (const c of batch) phase.servedAfterAdoption[lastSource.get(c) ?? 'git']++;
      if (!adopted && (second % 10 === 9 || second === 0)) {
        const share = clients.filter((c) => c.resolver.config?.version === version).length / clients.length;
        phase.adoption.push({ afterSeconds: second + 1, share });
        if (share === 1) {
          adopted = true;
          phase.fullAdoptionSeconds = second + 1;
        }
      }
    }
  }
  return { options: o, phases, configRequests, wallMs: performance.now() - started };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The figures as printed by the bench and recorded in bench/fleet/README.md. */
export function formatReport(r: FleetReport): string {
  const o = r.options;
  const lines = [
    `${o.clients} clients, ${o.clientsPerIp} per address, Git host limit ${o.rateLimitPerMinute} req/min per address, one plugin load (catalog.json + tarball) per client every ${o.loadIntervalSeconds} s, config TTL ${o.ttlSeconds} s, ${o.phaseSeconds} s between switches (virtual time); ${r.configRequests} control-plane requests; ${(r.wallMs / 1000).toFixed(1)} s wall`,
    '',
    '| phase | config v | clients on it after 10 s / 60 s / 120 s / TTL+poll | all clients on it after | loads | failed loads | requests git / cdn / edge | git 429 | git requests after full adoption | loads served git / cdn / edge after full adoption |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const bound = o.ttlSeconds + o.loadIntervalSeconds;
  for (const p of r.phases) {
    const at = (sec: number) => {
      const sample = [...p.adoption].reverse().find((a) => a.afterSeconds <= sec);
      return sample ? pct(sample.share) : p.fullAdoptionSeconds !== null && p.fullAdoptionSeconds <= sec ? '100%' : '-';
    };
    const shareAt = (sec: number) => (p.fullAdoptionSeconds !== null && p.fullAdoptionSeconds <= sec ? '100%' : at(sec));
    const served = p.servedAfterAdoption;
    const total = served.git + served.cdn + served.edge || 1;
    lines.push(
      `| ${p.name} | ${p.version} | ${[10, 60, 120, bound].map(shareAt).join(' / ')} | ${p.fullAdoptionSeconds === null ? 'not within the phase' : `${p.fullAdoptionSeconds} s`} | ${p.loads} | ${p.failedLoads} | ${p.requests.git} / ${p.requests.cdn} / ${p.requests.edge} | ${p.git429} | ${p.gitAfterAdoption} | ${pct(served.git / total)} / ${pct(served.cdn / total)} / ${pct(served.edge / total)} |`,
    );
  }
  return lines.join('\n');
}

/** What `injectControlPlane` needs of a Fastify app: `inject`. */
interface Injectable {
  inject(opts: { method: string; url: string; headers?: Record<string, string>; payload?: string | object; remoteAddress?: string }): Promise<{ statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer; body: string }>;
}

/** A Wharf app as the control plane, reached with `inject` (no socket), each caller at its simulated address. */
export function injectControlPlane(app: Injectable, adminToken: string, url = 'http://127.0.0.1:4873'): ControlPlane {
  return {
    url,
    async fetch(target, init, clientIp) {
      const u = new URL(target);
      const sent: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => (sent[name] = value));
      const res = await app.inject({ method: init.method ?? 'GET', url: `${u.pathname}${u.search}`, headers: sent, ...(typeof init.body === 'string' ? { payload: init.body } : {}), remoteAddress: clientIp });
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, String(v));
      return new Response(res.statusCode === 304 ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers });
    },
    async set(config) {
      const res = await app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, payload: JSON.stringify(config) });
      if (res.statusCode !== 200) throw new Error(`switch refused: ${res.statusCode} ${res.body}`);
      return (JSON.parse(res.body) as { version: number }).version;
    },
  };
}

// Faceted search latency: p50/p95 of GET /api/v1/search (through Fastify inject, so routing, validation,
// the search statement (match, page, total, facets) and the read of the page's rows are all measured) over
// synthetic listings: 10,000 on SQLite, 100,000 on PostgreSQL. Run after `npm run build`:  npm run bench:search
// Figures and how to read them: README.md beside this file.
// Env: BENCH_BACKENDS (default sqlite,postgres), BENCH_SQLITE_N, BENCH_PG_N, BENCH_QUERIES (default 400),
// WHARF_TEST_PG_URL (default local trust auth).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createWharf, loadConfig } from '../../packages/server/dist/index.js';
import { listing, loadPostgres, queryMix } from './corpus.mjs';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 400);
const MAX_SECONDS = 120;
const PG_URL = process.env.WHARF_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function run(backend, n) {
  const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-search-'));
  let dbName = null;
  if (backend === 'postgres') {
    dbName = `wharf_bench_search_${Date.now()}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`create database ${dbName}`);
    await c.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${dbName}`;
  const wharf = await createWharf(loadConfig({ dataDir, databaseUrl: dbName ? url.toString() : undefined, logLevel: 'warn' }, {}, null));
  try {
    const docs = Array.from({ length: n }, (_, i) => listing(i));
    const loadStart = performance.now();
    if (backend === 'postgres') await loadPostgres(wharf, docs);
    else for (let i = 0; i < docs.length; i += 1000) await wharf.store.search.putMany(docs.slice(i, i + 1000));
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const queries = queryMix(QUERIES);
    for (const q of queries.slice(0, 30)) await wharf.app.inject({ url: q });
    const times = [];
    const deadline = performance.now() + MAX_SECONDS * 1000;
    for (const q of queries) {
      const t = performance.now();
      const res = await wharf.app.inject({ url: q });
      times.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`${q}: ${res.statusCode} ${res.body}`);
      if (performance.now() > deadline) break;
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(1);
    const target = backend === 'postgres' ? 50 : 20;
    console.log(`${backend.padEnd(8)} ${String(n).padStart(7)} listings  load ${loadSeconds.toFixed(1)} s  ${times.length} queries  p50 ${at(50)} ms  p95 ${at(95)} ms  p99 ${at(99)} ms  max ${times.at(-1).toFixed(1)} ms  (target p95 < ${target} ms: ${Number(at(95)) < target ? 'met' : 'MISSED'})`);
  } finally {
    await wharf.close();
    await rm(dataDir, { recursive: true, force: true });
    if (dbName) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.end();
    }
  }
}

const backends = (process.env.BENCH_BACKENDS ?? 'sqlite,postgres').split(',');
if (backends.includes('sqlite')) await run('sqlite', Number(process.env.BENCH_SQLITE_N ?? 10_000));
if (backends.includes('postgres')) await run('postgres', Number(process.env.BENCH_PG_N ?? 100_000));

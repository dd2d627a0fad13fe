import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Owns everything the benchmark starts: child processes and temp dirs. Whatever way the run ends
 * (success, error, Ctrl-C, the overall deadline), `cleanup` kills the children and removes the dirs.
 */
export class Resources {
  #children = new Set();
  #dirs = [];
  #cleaned = false;

  constructor() {
    // Last resort when something calls process.exit directly: only synchronous work is possible here.
    // SIGTERM rather than SIGKILL: a killed nginx master would leave its workers behind.
    process.on('exit', () => this.#terminateAllSync());
  }

  tempDir(label) {
    const dir = mkdtempSync(join(tmpdir(), `wharf-bench-${label}-`));
    this.#dirs.push(dir);
    return dir;
  }

  /** Starts a child whose output is kept (last lines only) to explain a failure. */
  spawn(name, command, args, options = {}) {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = [];
    const keep = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const proc = { name, child, exited, output: () => tail.join('\n') };
    this.#children.add(proc);
    exited.then(() => this.#children.delete(proc));
    return proc;
  }

  /** SIGTERM (the servers shut down cleanly, so `--cpu-prof` writes its profile), SIGKILL after 5 s. */
  async stop(proc) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    proc.child.kill('SIGTERM');
    const killer = setTimeout(() => proc.child.kill('SIGKILL'), 5000);
    await proc.exited;
    clearTimeout(killer);
  }

  async cleanup() {
    if (this.#cleaned) return;
    this.#cleaned = true;
    await Promise.all([...this.#children].map((p) => this.stop(p)));
    this.#removeDirs();
  }

  /** `rm -rf` is several times faster than fs.rmSync on thousands of small files (blobs, tarballs). */
  #removeDirs() {
    if (this.#dirs.length === 0) return;
    const rm = spawnSync('rm', ['-rf', '--', ...this.#dirs]);
    if (rm.error || rm.status !== 0) for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
    this.#dirs = [];
  }

  #terminateAllSync() {
    for (const proc of this.#children) proc.child.kill('SIGTERM');
    this.#removeDirs();
  }
}

/** A loopback port that was free a moment ago (the server binds it right after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx; fails early if the process dies, or after `timeoutMs`. */
export async function waitUntilReady(proc, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  proc.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${proc.name} exited during start-up:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${proc.output()}`);
}

/** Runs a command to completion, inheriting the terminal; rejects on a non-zero exit. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

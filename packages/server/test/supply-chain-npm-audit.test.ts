import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { osvAdvisory, publish } from './supply-chain-support.js';

const run = promisify(execFile);
const PNPM = fileURLToPath(new URL('../../../node_modules/.bin/pnpm', import.meta.url));

interface NpmAuditReport {
  vulnerabilities: Record<string, { severity: string; isDirect: boolean; range: string; via: ({ source: string; title: string; url: string; range: string; severity: string } | string)[] }>;
  metadata: { vulnerabilities: Record<string, number> };
}

/**
 * The real npm CLI against a listening Wharf: `npm install` a vulnerable version, `npm audit`
 * reports the imported OSV advisory through the bulk endpoint (gzip'd by npm), and the report is
 * clean once the fixed version is installed.
 */
describeEachBackend('supply chain: npm audit with the real npm CLI', (backend) => {
  let w: TestWharf;
  let registry: string;
  let work: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  const bulkEncodings: string[] = [];

  // npm exits 1 when audit finds something: the exit code is part of what is checked, not an error.
  async function npm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run('npm', [...args, '--registry', registry], { cwd: project, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    w = await createTestWharf(backend);
    w.app.addHook('onRequest', async (request) => {
      if (request.url === '/-/npm/v1/security/advisories/bulk') bulkEncodings.push(String(request.headers['content-encoding']));
    });
    await w.app.listen({ port: 0, host: '127.0.0.1' });
    const address = w.app.server.address();
    if (!address || typeof address === 'string') throw new Error('server is not listening on TCP');
    registry = `http://127.0.0.1:${address.port}/`;
    const token = await addUser(w, 'dora');
    for (const version of ['1.0.0', '1.1.0']) {
      const res = (await publish(w, token, { name: 'leaky-parser', version, main: 'index.js' })).res;
      expect(res.statusCode, res.body).toBe(201);
    }
    const imported = await w.app.inject({
      method: 'POST',
      url: '/api/v1/advisories',
      headers: bearer(ADMIN_TOKEN),
      payload: osvAdvisory('GHSA-leak-y0u0-0001', 'leaky-parser', '0', '1.1.0', { database_specific: { severity: 'HIGH', cwe_ids: ['CWE-400'] } }),
    });
    expect(imported.statusCode, imported.body).toBe(200);

    work = await mkdtemp(join(tmpdir(), 'wharf-npm-audit-'));
    project = join(work, 'project');
    await run('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'audit-subject', version: '1.0.0', private: true }));
    const npmrc = join(work, 'npmrc');
    // The developer's own npm settings (audit=false, another registry…) must not leak into the test.
    await writeFile(npmrc, `registry=${registry}\n//127.0.0.1:${address.port}/:_authToken=${token}\naudit=true\nfund=false\nupdate-notifier=false\n`);
    await writeFile(join(work, 'globalrc'), '');
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
    Object.assign(env, {
      npm_config_cache: join(work, 'cache'),
      npm_config_userconfig: npmrc,
      npm_config_globalconfig: join(work, 'globalrc'),
      npm_config_registry: registry,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
    });
  }, 120_000);

  afterAll(async () => {
    await w?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reports the imported advisory for the vulnerable version and nothing once upgraded', async () => {
    const install = await npm('install', 'leaky-parser@1.0.0', '--save-exact', '--no-audit');
    expect(install.code, install.stderr).toBe(0);
    const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/leaky-parser'].version).toBe('1.0.0');
    expect(lock.packages['node_modules/leaky-parser'].resolved).toBe(`${registry}leaky-parser/-/leaky-parser-1.0.0.tgz`);

    const vulnerable = await npm('audit', '--json');
    expect(vulnerable.code, vulnerable.stderr).toBe(1);
    const report = JSON.parse(vulnerable.stdout) as NpmAuditReport;
    const finding = report.vulnerabilities['leaky-parser'];
    expect(finding, vulnerable.stdout).toBeDefined();
    expect(finding!.severity).toBe('high');
    expect(finding!.isDirect).toBe(true);
    expect(finding!.via).toEqual([
      expect.objectContaining({
        source: 'GHSA-leak-y0u0-0001',
        title: 'Prototype pollution in leaky-parser',
        url: 'https://example.test/advisories/GHSA-leak-y0u0-0001',
        severity: 'high',
        range: '>=0.0.0 <1.1.0',
      }),
    ]);
    expect(report.metadata.vulnerabilities.high).toBe(1);
    // npm really sent its body gzip'd, and the route inflated it.
    expect(bulkEncodings).toEqual(['gzip']);

    const upgrade = await npm('install', 'leaky-parser@1.1.0', '--save-exact', '--no-audit');
    expect(upgrade.code, upgrade.stderr).toBe(0);
    const clean = await npm('audit', '--json');
    expect(clean.code, clean.stdout).toBe(0);
    expect((JSON.parse(clean.stdout) as NpmAuditReport).vulnerabilities).toEqual({});
  }, 240_000);

  it('pnpm audit reads the same advisories from the full audit endpoints', async () => {
    const dir = join(work, 'pnpm-project');
    await run('mkdir', ['-p', dir]);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'pnpm-subject', version: '1.0.0', private: true }));
    await writeFile(join(dir, '.npmrc'), `registry=${registry}\n`);
    const pnpmEnv = { ...env, npm_config_userconfig: join(work, 'globalrc') };
    const pnpm = async (...args: string[]) => {
      try {
        const { stdout } = await run(PNPM, args, { cwd: dir, env: pnpmEnv, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
        return { code: 0, stdout };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        if (typeof e.code !== 'number') throw err;
        return { code: e.code, stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    };
    const add = await pnpm('add', 'leaky-parser@1.0.0', '--store-dir', join(work, 'pnpm-store'), '--config.confirmModulesPurge=false');
    expect(add.code, add.stdout).toBe(0);
    const audit = await pnpm('audit', '--json');
    expect(audit.code, audit.stdout).toBe(1);
    const report = JSON.parse(audit.stdout) as { advisories: Record<string, { module_name: string; severity: string; patched_versions: string; findings: { version: string; paths: string[] }[] }>; metadata: { vulnerabilities: Record<string, number> } };
    expect(report.advisories['GHSA-leak-y0u0-0001']).toMatchObject({ module_name: 'leaky-parser', severity: 'high', patched_versions: '>=1.1.0', findings: [{ version: '1.0.0', paths: [expect.stringContaining('leaky-parser')] }] });
    expect(report.metadata.vulnerabilities.high).toBe(1);
  }, 240_000);
});

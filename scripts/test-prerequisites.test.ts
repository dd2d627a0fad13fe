import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./test-prerequisites.mjs', import.meta.url));

function run(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, '--check'], { env: { ...process.env, WHARF_PREREQ_ROOT: root } }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
    );
  });
}

describe('npm test prerequisites (pretest)', () => {
  it('on a machine without chromium and nginx: one line naming the Debian packages, exit 1, no stack trace', async () => {
    const { code, stdout, stderr } = await run(await mkdtemp(join(tmpdir(), 'wharf-prereq-')));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('apt-get install -y --no-install-recommends chromium nginx-light libnginx-mod-http-cache-purge');
    expect(stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('names only what is missing, and passes once everything is there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'wharf-prereq-'));
    const plant = async (file: string) => (await mkdir(dirname(join(root, file)), { recursive: true }), writeFile(join(root, file), ''));
    await plant('/usr/bin/chromium');
    let res = await run(root);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('install -y --no-install-recommends nginx-light libnginx-mod-http-cache-purge`');
    expect(res.stderr).not.toContain('Chromium');
    await plant('/usr/sbin/nginx');
    await plant('/usr/lib/nginx/modules/ngx_http_cache_purge_module.so');
    res = await run(root);
    expect(res).toMatchObject({ code: 0, stderr: '' });
  });
});

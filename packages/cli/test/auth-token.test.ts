import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmrcToken, readNpmrc, resolveToken } from '../src/auth-token.js';
import { ADMIN_TOKEN, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { wharf } from './support/run.js';

async function npmrc(text: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-npmrc-'));
  const file = join(dir, '.npmrc');
  await writeFile(file, text);
  return { dir, file };
}

describe('resolveToken', () => {
  it('takes --token, then WHARF_TOKEN, then the project .npmrc, then the user .npmrc', async () => {
    const user = await npmrc('//127.0.0.1:4873/:_authToken=user-token\n');
    const project = await npmrc('//127.0.0.1:4873/:_authToken=project-token\n');
    const empty = await mkdtemp(join(tmpdir(), 'wharf-cwd-'));
    const env = { NPM_CONFIG_USERCONFIG: user.file };
    expect(resolveToken('http://127.0.0.1:4873', undefined, env, empty)).toBe('user-token');
    expect(resolveToken('http://127.0.0.1:4873', undefined, env, project.dir)).toBe('project-token');
    expect(resolveToken('http://127.0.0.1:4873', undefined, { ...env, WHARF_TOKEN: 'env-token' }, project.dir)).toBe('env-token');
    expect(resolveToken('http://127.0.0.1:4873', 'flag-token', { ...env, WHARF_TOKEN: 'env-token' }, project.dir)).toBe('flag-token');
    // Another registry's token is never sent.
    expect(resolveToken('http://127.0.0.1:9999', undefined, env, empty)).toBeUndefined();
    // HOME stands in when NPM_CONFIG_USERCONFIG is unset, as for npm.
    expect(resolveToken('http://127.0.0.1:4873', undefined, { HOME: user.dir }, empty)).toBe('user-token');
  });

  it('matches the registry path and its parents, expands ${VAR} and skips comments', async () => {
    const { file } = await npmrc(['; a comment', '# another', 'registry=http://127.0.0.1:4873/', '//127.0.0.1:4873/:_authToken="${WHARF_SECRET}"', '//127.0.0.1:4873/sub/:_authToken=sub-token', ''].join('\n'));
    const config = readNpmrc(file, { WHARF_SECRET: 'from-env' });
    expect(npmrcToken(config, 'http://127.0.0.1:4873/')).toBe('from-env');
    expect(npmrcToken(config, 'http://127.0.0.1:4873/sub/deeper')).toBe('sub-token');
    expect(npmrcToken(config, 'http://127.0.0.1:4873/other/')).toBe('from-env');
    expect(readNpmrc('/no/such/.npmrc', {}).size).toBe(0);
  });
});

describeEachBackend('the CLI signs in with the token npm login stored', (backend) => {
  let w: TestWharf;
  let registry: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    registry = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());

  it('uses the per-registry _authToken of NPM_CONFIG_USERCONFIG; --token overrides it', async () => {
    const { file } = await npmrc(`${registry.replace(/^http:/, '')}/:_authToken=${ADMIN_TOKEN}\n`);
    const saved = process.env.NPM_CONFIG_USERCONFIG;
    process.env.NPM_CONFIG_USERCONFIG = file;
    try {
      expect(await wharf('flags', 'list', '--registry', registry)).toMatchObject({ code: undefined, out: expect.stringMatching(/^version \d+|none/m) });
      expect(await wharf('flags', 'list', '--registry', registry, '--token', 'wharf_wrong')).toMatchObject({ code: 1, err: expect.stringMatching(/401/) });
    } finally {
      if (saved === undefined) delete process.env.NPM_CONFIG_USERCONFIG;
      else process.env.NPM_CONFIG_USERCONFIG = saved;
    }
  });
});

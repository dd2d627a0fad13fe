import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthReporter, PluginLoader, isPluginError, type PluginErrorCode } from '../src/index.js';
import { entryFile } from '../src/loader/entry.js';
import { harness, publishPlugin, type Harness } from './installer-support.js';

const code = (err: unknown): PluginErrorCode | string => (isPluginError(err) ? err.code : String(err));

describe('PluginLoader: verified bytes, host-shared modules, narrow API', () => {
  let h: Harness;
  const shared = {
    react: { default: { version: '19.0.0-host' }, useState: (v: unknown) => [v, () => undefined], version: '19.0.0-host' },
    '@cartae/plugin-sdk': { definePanel: (title: string) => ({ panel: title }), delete: 'reserved-word key' },
  };
  /** Installs `name` (published with `files`) and loads it with the shared modules above. */
  const load = async (name: string, files: Record<string, string>, packageJson: Record<string, unknown> = {}, api: unknown = {}) => {
    await publishPlugin(h.w, h.token, name, '1.0.0', { files, packageJson });
    const reporter = new HealthReporter({ url: h.base });
    const { installer } = await h.client({ reporter });
    await installer.install(name);
    const loader = new PluginLoader({ installer, shared });
    const result = await loader.loadPlugin(name, api).catch((err: unknown) => err);
    return { result, reporter, installer, loader };
  };

  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.destroy());

  it('gives bare imports of shared packages the host objects (static, namespace, re-export, dynamic)', async () => {
    const source = [
      `import React, { useState } from 'react';`,
      `import * as sdk from '@cartae/plugin-sdk';`,
      `export { definePanel } from "@cartae/plugin-sdk";`,
      `const text = "import x from 'not-rewritten-in-strings'";`,
      `export async function activate(api) {`,
      `  const dyn = await import('react');`,
      `  return { react: React.version, state: useState(7)[0], panel: sdk.definePanel(api.title), reserved: sdk.delete, same: dyn.useState === useState, text, keys: Object.keys(api) };`,
      `}`,
    ].join('\n');
    const { result, reporter } = await load('@acme/shared', { 'index.js': source }, {}, { title: 'Notes' });
    expect(result).toMatchObject({
      name: '@acme/shared',
      version: '1.0.0',
      exports: { react: '19.0.0-host', state: 7, panel: { panel: 'Notes' }, reserved: 'reserved-word key', same: true, text: "import x from 'not-rewritten-in-strings'", keys: ['title'] },
    });
    expect((result as { module: Record<string, unknown> }).module.definePanel).toBe(shared['@cartae/plugin-sdk'].definePanel);
    expect(reporter.pending()).toEqual([{ plugin: '@acme/shared', version: '1.0.0', activations: 1, errors: 0 }]);
  });

  it('takes the entry from module, main or exports', async () => {
    const has = (...paths: string[]) => (p: string) => paths.includes(p);
    expect(entryFile({ module: './dist/m.js', main: 'dist/c.cjs' }, has('dist/m.js', 'dist/c.cjs'))).toBe('dist/m.js');
    expect(entryFile({ main: 'lib/main' }, has('lib/main.js'))).toBe('lib/main.js');
    expect(entryFile({ exports: { '.': { require: './c.cjs', import: './e.mjs' } } }, has('e.mjs', 'c.cjs'))).toBe('e.mjs');
    expect(entryFile({ exports: './x.js' }, has('x.js'))).toBe('x.js');
    expect(entryFile({}, has('index.js'))).toBe('index.js');
    expect(entryFile({ main: 'gone.js' }, has('index.js'))).toBeNull();
    const { result } = await load('@acme/exports', { 'dist/plugin.mjs': `export const activate = (api) => api.ok;` }, { module: undefined, exports: { '.': { import: './dist/plugin.mjs' } } }, { ok: 'from exports' });
    expect((result as { exports: unknown }).exports).toBe('from exports');
  });

  it('refuses relative, unshared and URL imports with a clear error', async () => {
    const rel = await load('@acme/relative', { 'index.js': `import { x } from './other.js'; export const activate = () => x;`, 'other.js': 'export const x = 1;' });
    expect(code(rel.result)).toBe('unsupported-import');
    expect(String(rel.result)).toMatch(/single-file ESM bundles/);
    const bare = await load('@acme/bare', { 'index.js': `import _ from 'lodash'; export const activate = () => _;` });
    expect(code(bare.result)).toBe('unsupported-import');
    expect(String(bare.result)).toMatch(/"lodash", which the host does not share/);
    expect(bare.reporter.pending()).toEqual([{ plugin: '@acme/bare', version: '1.0.0', activations: 0, errors: 1 }]);
    const url = await load('@acme/url', { 'index.js': `export const activate = () => import('https://cdn.example/x.js');` });
    expect(code(url.result)).toBe('unsupported-import');
  });

  it('reports a missing activate, a throwing activate and run-time errors to the health reporter', async () => {
    const none = await load('@acme/noact', { 'index.js': `export const start = () => 1;` });
    expect(code(none.result)).toBe('no-activate');
    const throws = await load('@acme/throws', { 'index.js': `export function activate() { throw new Error('boom'); }` });
    expect(code(throws.result)).toBe('activation-failed');
    expect(String(throws.result)).toMatch(/boom/);
    expect(throws.reporter.pending()).toEqual([{ plugin: '@acme/throws', version: '1.0.0', activations: 0, errors: 1 }]);
    const syntax = await load('@acme/syntax', { 'index.js': `export function activate( {` });
    expect(code(syntax.result)).toBe('bad-package');

    let stopped = false;
    const ok = await load('@acme/lifecycle', { 'index.js': `export const activate = () => 'up'; export const deactivate = () => globalThis.__wharfStopped();` });
    (globalThis as Record<string, unknown>).__wharfStopped = () => (stopped = true);
    const plugin = ok.result as Awaited<ReturnType<PluginLoader['loadPlugin']>>;
    plugin.reportError(new Error('render failed'));
    await plugin.deactivate();
    expect(stopped).toBe(true);
    // A reload is a fresh module instance, as a blob: URL gives in a browser.
    const again = await ok.loader.loadPlugin('@acme/lifecycle', {});
    expect(again.module).not.toBe(plugin.module);
    expect(ok.reporter.pending()).toEqual([{ plugin: '@acme/lifecycle', version: '1.0.0', activations: 2, errors: 1 }]);
  });

  it('refuses a stored copy modified after install (the store is untrusted)', async () => {
    await publishPlugin(h.w, h.token, '@acme/cache', '1.0.0');
    await publishPlugin(h.w, h.token, '@acme/cache', '2.0.0');
    const { installer, store } = await h.client();
    await installer.install('@acme/cache', '1.0.0');
    await installer.install('@acme/cache', '2.0.0');
    // A genuine, signed tarball, but of the other version: only the integrity check catches it.
    await store.set('plugins/@acme+cache/2.0.0/package.tgz', (await store.get('plugins/@acme+cache/1.0.0/package.tgz'))!);
    const loader = new PluginLoader({ installer });
    expect(code(await loader.loadPlugin('@acme/cache', { register: String }).catch((e: unknown) => e))).toBe('verification-failed');
    expect(code(await installer.activate('@acme/cache', '2.0.0').catch((e: unknown) => e))).toBe('verification-failed');
    await installer.rollback('@acme/cache');
    expect((await loader.loadPlugin('@acme/cache', { register: String })).exports).toBe('1.0.0');
  });
});

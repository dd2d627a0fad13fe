import { afterAll, beforeAll, expect, it } from 'vitest';
import { PluginLoader } from '../src/index.js';
import { harness, publishPlugin, type Harness } from './installer-support.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.destroy());

// Alone in its file: the lexer is loaded once per process, and this must be the first load.
it('loads plugins where WebAssembly may not be compiled (a CSP without wasm-unsafe-eval)', async () => {
  const compile = WebAssembly.compile;
  let refused = 0;
  WebAssembly.compile = () => {
    refused++;
    return Promise.reject(new WebAssembly.CompileError("Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source"));
  };
  try {
    await publishPlugin(h.w, h.token, '@csp/plugin', '1.0.0', { files: { 'index.js': `import ui from 'host-ui';\nexport const activate = (api) => ui.label(api.name);` } });
    const { installer } = await h.client();
    await installer.install('@csp/plugin');
    const loaded = await new PluginLoader({ installer, shared: { 'host-ui': { default: { label: (s: string) => `[${s}]` } } } }).loadPlugin('@csp/plugin', { name: 'csp' });
    expect(loaded.exports).toBe('[csp]');
    expect(refused).toBe(1);
  } finally {
    WebAssembly.compile = compile;
  }
});

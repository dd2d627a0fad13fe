import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import semver from 'semver';

// `npm ci` on the Node the project supports prints no warning: none of the locked packages asks for
// another Node, and each install script is either allowed or refused on purpose in allowScripts.
const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string }; allowScripts: Record<string, boolean> };
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; hasInstallScript?: boolean; dev?: boolean; optional?: boolean }>;
};
const locked = Object.entries(lock.packages).filter(([path]) => path.includes('node_modules/'));
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('what npm ci installs', () => {
  it('needs no Node newer than the lowest the project supports', () => {
    const lowest = semver.minVersion(root.engines.node)!.version;
    const wanting = locked.filter(([, p]) => !Array.isArray(p.engines) && p.engines?.node && !semver.satisfies(lowest, p.engines.node));
    expect(wanting.map(([path, p]) => `${nameOf(path)}@${p.version} wants node ${(p.engines as { node: string }).node}`)).toEqual([]);
  });

  it('runs or refuses each install script on purpose (allowScripts)', () => {
    const scripted = locked.filter(([, p]) => p.hasInstallScript).map(([path]) => nameOf(path));
    expect(scripted.length).toBeGreaterThan(0);
    expect(scripted.filter((name) => !(name in root.allowScripts))).toEqual([]);
  });
});

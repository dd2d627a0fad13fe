import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AdvisoryImportReportSchema, AdvisoryImportSchema, type AdvisoryImportReport, type OsvAdvisory } from '@wharf/core';
import type { Command } from 'commander';
import { addServerOptions, ControlPlane, type ServerOptions } from './control-plane.js';

/** Advisories per request: well under the server's 10,000-advisory and 32 MiB import limits. */
const BATCH = 1000;

/** One JSON file (an advisory or a list), or a directory of them (an unpacked osv.dev export). */
async function jsonFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Reads and validates every advisory before sending any, so a bad file is named and nothing half-imports. */
export async function readAdvisories(path: string): Promise<OsvAdvisory[]> {
  const advisories: OsvAdvisory[] = [];
  for (const file of await jsonFiles(path)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file} is not JSON: ${(err as Error).message}`);
    }
    const parsed = AdvisoryImportSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file} is not valid OSV${issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''}: ${issue.message}`);
    }
    advisories.push(...parsed.data);
  }
  if (advisories.length === 0) throw new Error(`no advisories found in ${path}`);
  return advisories;
}

/** `wharf advisories import FILE`: sends OSV advisories to the server's admin API and prints what changed. */
export async function advisoriesImport(path: string, options: ServerOptions, env: NodeJS.ProcessEnv = process.env): Promise<AdvisoryImportReport> {
  const advisories = await readAdvisories(path);
  const server = new ControlPlane(options, env);
  const report: AdvisoryImportReport = { imported: 0, advisories: [] };
  for (let i = 0; i < advisories.length; i += BATCH) {
    const batch = await server.call(AdvisoryImportReportSchema, 'POST', '/api/v1/advisories', advisories.slice(i, i + BATCH));
    report.imported += batch.imported;
    report.advisories.push(...batch.advisories);
  }
  const count = (outcome: string) => report.advisories.filter((a) => a.outcome === outcome).length;
  process.stdout.write(
    `${report.advisories.length} advisories sent to ${server.baseUrl}: ${count('created')} new, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('older')} older than the copy already imported\n`,
  );
  return report;
}

export function registerAdvisoryCommands(program: Command): void {
  const advisories = program.command('advisories').description('vulnerability advisories (OSV) the registry checks publishes and npm audit against');
  addServerOptions(advisories.command('import').description('import OSV advisories from a JSON file (one advisory or a list) or a directory of them; needs an admin token').argument('<file>'))
    .action(async (file: string, options: ServerOptions) => void (await advisoriesImport(file, options)));
}

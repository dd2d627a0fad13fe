import { PluginListingSchema, PluginVersionsSchema, type PluginListing } from '@wharf/core';
import type { Command } from 'commander';
import type { z } from 'zod';
import { addServerOptions, ControlPlane, type ServerOptions } from './control-plane.js';

export interface InfoOptions extends ServerOptions {
  json?: boolean;
}

/** `wharf info <id>`: a listing and its versions with the host versions they need. */
export async function info(
  id: string,
  options: InfoOptions,
  out: (s: string) => void = (s) => process.stdout.write(s),
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ listing: PluginListing; versions: z.infer<typeof PluginVersionsSchema> }> {
  const server = new ControlPlane(options, env);
  const path = `/api/v1/plugins/${encodeURIComponent(id)}`;
  const [listing, versions] = await Promise.all([server.call(PluginListingSchema, 'GET', path), server.call(PluginVersionsSchema, 'GET', `${path}/versions`)]);
  if (options.json) {
    out(`${JSON.stringify({ listing, versions }, null, 2)}\n`);
    return { listing, versions };
  }
  const lines = [
    `${listing.name} (${listing.id})${listing.state === 'published' ? '' : ` [${listing.state}]`}`,
    listing.description,
    '',
    `category   ${listing.category}${listing.tags.length > 0 ? `   tags: ${listing.tags.join(', ')}` : ''}`,
    `rating     ${listing.rating.average === null ? 'no reviews yet' : `${listing.rating.average.toFixed(1)}/5 from ${listing.rating.count} review${listing.rating.count === 1 ? '' : 's'}`}`,
    `installs   ${listing.installs}`,
  ];
  if (listing.publisher) lines.push(`publisher  ${listing.publisher}`);
  if (listing.homepage) lines.push(`homepage   ${listing.homepage}`);
  if (listing.package) lines.push(`package    ${listing.package}${listing.latestVersion ? `@${listing.latestVersion}` : ''}   (npm install ${listing.package})`);
  if (versions.versions.length === 0) lines.push('', 'versions   none');
  else {
    lines.push('', 'versions');
    for (const v of versions.versions) {
      const needs = v.compatibility.minHostVersion ? `host >= ${v.compatibility.minHostVersion}` : 'any host';
      const tags = v.tags.length > 0 ? ` (${v.tags.join(', ')})` : '';
      lines.push(`  ${v.version}${tags}  ${v.publishedAt.slice(0, 10)}  ${needs}  ${v.signature.status}${v.deprecated ? `  deprecated: ${v.deprecated}` : ''}`);
    }
  }
  out(`${lines.join('\n')}\n`);
  return { listing, versions };
}

export function registerInfoCommand(program: Command): void {
  addServerOptions(program.command('info').description('show a marketplace listing and its versions').argument('<id>', 'plugin id, e.g. com.cartae.pdf-export').option('--json', 'print the raw listing and versions')).action(
    async (id: string, options: InfoOptions) => {
      await info(id, options);
    },
  );
}

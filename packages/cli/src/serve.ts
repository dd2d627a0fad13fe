import { parseEnvelope, rootFingerprint } from '@wharf/core';
import { createWharf, databaseTarget, loadConfig, publishSamples, type ConfigInput } from '@wharf/server';

export interface ServeOptions {
  port?: string;
  host?: string;
  data?: string;
  databaseUrl?: string;
  publicUrl?: string;
  config?: string;
  samples?: boolean;
}

/** `wharf serve`: flags override WHARF_* env, which overrides the config file. Stops cleanly on SIGINT/SIGTERM. */
export async function serve(options: ServeOptions): Promise<void> {
  const overrides: ConfigInput = {
    port: options.port === undefined ? undefined : Number(options.port),
    host: options.host,
    dataDir: options.data,
    databaseUrl: options.databaseUrl,
    publicUrl: options.publicUrl,
  };
  const config = loadConfig(overrides, process.env, options.config);
  const wharf = await createWharf(config);
  if (options.samples) {
    const published = await publishSamples(wharf);
    if (published.length > 0) wharf.app.log.info({ packages: published }, 'published sample plugins');
  }
  const address = await wharf.app.listen({ port: config.port, host: config.host });
  if (!config.publicUrl && !/^(127\.|::1$|localhost$)/.test(config.host)) {
    wharf.app.log.warn(`listening on ${config.host} without --public-url: tarball URLs name the address each client reached (never its Host header); set --public-url to the address clients use`);
  }
  const where = /^postgres/.test(databaseTarget(config)) ? 'PostgreSQL' : databaseTarget(config);
  // The value clients compare at `wharf trust init`: the first root, which they pin and walk forward from.
  const firstRoot = await wharf.trust.metadata('root', 1);
  if (firstRoot) wharf.app.log.info(`Trust root fingerprint ${await rootFingerprint(parseEnvelope('root', firstRoot).signed)} (clients pin it with: wharf trust init --registry ${(config.publicUrl ?? address).replace(/\/+$/, '')})`);
  wharf.app.log.info(`Wharf registry at ${address}/ (metadata: ${where})`);
  const setupToken = await wharf.setup.issueToken();
  if (setupToken) process.stdout.write(`${firstRunLine(config.publicUrl ?? address, setupToken)}\n`);
  const stop = async () => {
    await wharf.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Printed at each start while no admin exists; each start issues a new token (only its hash is stored). */
export function firstRunLine(base: string, token: string): string {
  const url = base.replace(/\/+$/, '');
  return `First run: create the admin account at ${url}/cp/setup?token=${token}  (or: wharf admin create --registry ${url} --setup-token ${token} --name NAME)`;
}

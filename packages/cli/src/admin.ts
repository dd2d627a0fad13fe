import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { SetupResultSchema, type SetupResult } from '@wharf/core';
import { ControlPlane, ControlPlaneError, DEFAULT_SERVER_URL } from './control-plane.js';
import { readStdin } from './stdin.js';

export interface AdminCreateOptions {
  registry?: string;
  setupToken: string;
  name: string;
  email?: string;
  password?: string;
}

type Out = (s: string) => void;

/**
 * `wharf admin create`: the first admin account, with the one-time token `wharf serve` printed
 * (POST /api/v1/setup). Prints the new admin's token and how to use it.
 */
export async function adminCreate(options: AdminCreateOptions, out: Out = (s) => process.stdout.write(s), env: NodeJS.ProcessEnv = process.env): Promise<SetupResult> {
  if (!options.password) throw new Error('a password is needed: pipe it with --password-stdin, or run in a terminal to be asked for it');
  // The setup token in the body is the credential; a bearer token the CLI may also send changes nothing.
  const server = new ControlPlane({ registry: options.registry }, env);
  let created: SetupResult;
  try {
    created = await server.call(SetupResultSchema, 'POST', '/api/v1/setup', { token: options.setupToken, name: options.name, password: options.password, ...(options.email ? { email: options.email } : {}) });
  } catch (err) {
    if (err instanceof ControlPlaneError && err.status === 403) throw new Error(`the setup token was refused: use the one printed by the latest \`wharf serve\` start at ${server.baseUrl} (each start replaces the last)`);
    if (err instanceof ControlPlaneError && err.status === 409) throw new Error(`${server.baseUrl} already has an admin account: sign in with it (npm login --registry ${server.baseUrl}/ --auth-type=legacy), or ask that admin for a role`);
    throw err;
  }
  const host = server.baseUrl.replace(/^https?:/, '');
  out(
    [
      `Admin account ${created.name} created on ${server.baseUrl}.`,
      `Token (shown once): ${created.token}`,
      'Use it with the wharf CLI and npm:',
      `  npm config set ${host}/:_authToken ${created.token}`,
      `  (or: export WHARF_TOKEN=${created.token})`,
      '',
    ].join('\n'),
  );
  return created;
}

/** A password typed at the terminal, not echoed. */
async function promptPassword(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
  let asked = false;
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => (asked ? undefined : ((asked = true), write(s)));
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('first-run administration');
  admin
    .command('create')
    .description('create the first admin account with the setup token `wharf serve` prints while no admin exists')
    .option('--registry <url>', `Wharf server (WHARF_REGISTRY, default ${DEFAULT_SERVER_URL})`)
    .requiredOption('--setup-token <token>', 'the one-time token from the `First run:` line of `wharf serve`')
    .requiredOption('--name <name>', "the admin's user name")
    .option('--email <email>', "the admin's e-mail address")
    .option('--password-stdin', 'read the password from standard input (else it is asked for)')
    .action(async (o: AdminCreateOptions & { passwordStdin?: boolean }) => {
      const password = o.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : process.stdin.isTTY ? await promptPassword('Password: ') : undefined;
      await adminCreate({ ...o, password });
    });
}

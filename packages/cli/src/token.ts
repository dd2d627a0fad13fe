import type { Command } from 'commander';
import { ROLE_NAMES, TokenInfoSchema, TokenListSchema, type TokenInfo } from '@wharf/core';
import { addServerOptions, ControlPlane, type ServerOptions } from './control-plane.js';
import { readStdin } from './stdin.js';

export interface TokenCreateOptions extends ServerOptions {
  role?: string;
  readOnly?: boolean;
  cidr?: string[];
  name?: string;
  expires?: string;
  /** The account password (the server asks for it again before issuing a token). */
  password?: string;
  json?: boolean;
}

type Out = (s: string) => void;
const stdout: Out = (s) => process.stdout.write(s);

const describe = (t: TokenInfo) =>
  [t.role ? `role ${t.role}` : 'acts as its user', t.readonly ? 'read-only' : null, t.cidr_whitelist?.length ? `from ${t.cidr_whitelist.join(', ')}` : null, t.expires ? `expires ${t.expires}` : null]
    .filter((part) => part !== null)
    .join(', ');

/**
 * `wharf token create`: a token for CI or a service, optionally scoped to a lesser role than its
 * user's (`--role publisher`): it then acts with the lesser of the two, even after the user changes.
 */
export async function tokenCreate(options: TokenCreateOptions, out: Out = stdout, env: NodeJS.ProcessEnv = process.env): Promise<TokenInfo> {
  const password = options.password ?? env.WHARF_PASSWORD;
  if (!password) throw new Error('the account password is needed to create a token: pipe it with --password-stdin or set WHARF_PASSWORD');
  const body = {
    password,
    readonly: options.readOnly ?? false,
    cidr_whitelist: options.cidr ?? [],
    name: options.name ?? null,
    expires: options.expires ?? null,
    role: options.role ?? null,
  };
  const issued = await new ControlPlane(options, env).call(TokenInfoSchema, 'POST', '/-/npm/v1/tokens', body);
  out(options.json ? `${JSON.stringify(issued, null, 2)}\n` : `${issued.token}\nkey ${issued.key}: ${describe(issued)}. Shown once: store it now.\n`);
  return issued;
}

/** `wharf token list`: the caller's tokens, secrets masked. */
export async function tokenList(options: ServerOptions & { json?: boolean }, out: Out = stdout, env: NodeJS.ProcessEnv = process.env): Promise<TokenInfo[]> {
  const { objects } = await new ControlPlane(options, env).call(TokenListSchema, 'GET', '/-/npm/v1/tokens');
  if (options.json) out(`${JSON.stringify(objects, null, 2)}\n`);
  else if (objects.length === 0) out('none\n');
  else for (const t of objects) out(`${t.key}  ${t.token}…  ${t.name ?? '-'}  created ${t.created}  ${describe(t)}\n`);
  return objects;
}

/** `wharf token revoke <key>`. */
export async function tokenRevoke(key: string, options: ServerOptions, out: Out = stdout, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await new ControlPlane(options, env).send('DELETE', `/-/npm/v1/tokens/token/${encodeURIComponent(key)}`);
  out(`revoked ${key}\n`);
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('your access tokens (for CI and services), optionally scoped to a lesser role');
  addServerOptions(token.command('create').description('issue a token; the secret is printed once'))
    .option('--role <role>', `act with at most this role (${ROLE_NAMES.join(', ')}); default: the user's role`)
    .option('--read-only', 'the token may only read')
    .option('--cidr <range...>', 'only from these address ranges')
    .option('--name <name>', 'a label for the listing')
    .option('--expires <days>', 'expire after this many days')
    .option('--password-stdin', 'read the account password from standard input (else WHARF_PASSWORD)')
    .option('--json', 'print the answer as JSON')
    .action(async (o: TokenCreateOptions & { passwordStdin?: boolean }) => void (await tokenCreate({ ...o, password: o.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : undefined })));
  addServerOptions(token.command('list').description('list your tokens (secrets masked)'))
    .option('--json', 'print the list as JSON')
    .action(async (o: ServerOptions & { json?: boolean }) => void (await tokenList(o)));
  addServerOptions(token.command('revoke <key>').description('revoke one of your tokens by its key')).action(async (key: string, o: ServerOptions) => void (await tokenRevoke(key, o)));
}

import { AuditPageSchema, verifyAuditChain, type AuditEntry, type AuditVerification } from '@wharf/core';
import type { Command } from 'commander';
import { addServerOptions, ControlPlane, type ServerOptions } from './control-plane.js';

const PAGE = 1000;

/** Downloads the whole chain, oldest first, page by page. */
export async function fetchAuditChain(server: ControlPlane): Promise<AuditEntry[]> {
  const rows: AuditEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await server.call(AuditPageSchema, 'GET', `/api/v1/audit?after=${after}&limit=${PAGE}`);
    rows.push(...page.entries);
    if (page.next === null) return rows;
    after = page.next;
  }
}

export interface AuditVerifyOptions extends ServerOptions {
  head?: string;
}

/**
 * `wharf audit verify`: verifies the chain locally with the same function as the server, so a
 * server that lies about its own verification is still caught. Exit code 1 on any break.
 */
export async function auditVerify(options: AuditVerifyOptions): Promise<AuditVerification> {
  const server = new ControlPlane(options);
  const result = verifyAuditChain(await fetchAuditChain(server), options.head);
  if (result.ok) {
    process.stdout.write(`audit chain intact: ${result.count} rows, head ${result.head}\n`);
  } else {
    process.stderr.write(`audit chain broken (${result.problem}) at ${result.message}\n`);
    process.exitCode = 1;
  }
  return result;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log of control-plane changes');
  addServerOptions(audit.command('verify').description('download the whole audit chain and verify every link locally (exit 1 on tampering)'))
    .option('--head <hash>', 'hash of the last row recorded elsewhere: also detects rows removed from the end')
    .action(async (options: AuditVerifyOptions) => void (await auditVerify(options)));
}

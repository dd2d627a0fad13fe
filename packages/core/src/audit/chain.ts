import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../trust/bytes.js';
import type { AuditEntry, AuditProblem, AuditVerification } from './schemas.js';

/** The `prevHash` of the first row: the chain has to start somewhere that cannot be forged. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export type AuditContent = Omit<AuditEntry, 'hash'>;

/**
 * sha256 (hex) over the RFC 8785 canonical JSON of the row content, prevHash included: editing any
 * field, or relinking a row elsewhere, changes the hash. Absent before/after are hashed as null so
 * a value round-tripped through JSON storage hashes the same.
 */
export function auditHash(content: AuditContent): string {
  const canonical = canonicalJson({
    seq: content.seq,
    at: content.at,
    actor: content.actor,
    action: content.action,
    target: content.target,
    before: content.before ?? null,
    after: content.after ?? null,
    prevHash: content.prevHash,
  });
  return bytesToHex(sha256(utf8ToBytes(canonical)));
}

/**
 * Walks the chain oldest first and reports the first row that breaks it. A row whose hash does not
 * match its content was edited; a gap in the sequence means rows were deleted; a sequence that does
 * not increase means rows were reordered; a prevHash that is not the previous row's hash means a row
 * was replaced wholesale (content and hash recomputed). Removing rows from the end is only visible
 * against a head hash recorded elsewhere: pass `expectedHead` to check it.
 */
export function verifyAuditChain(rows: readonly AuditEntry[], expectedHead?: string): AuditVerification {
  let prevHash = AUDIT_GENESIS_HASH;
  let prevSeq = 0;
  for (const row of rows) {
    const fail = (problem: AuditProblem, message: string): AuditVerification => ({ ok: false, count: rows.length, seq: row.seq, problem, message: `row ${row.seq}: ${message}` });
    if (row.seq <= prevSeq) return fail('reordered', `sequence ${row.seq} follows ${prevSeq}`);
    if (row.seq !== prevSeq + 1) return fail('deleted', `rows ${prevSeq + 1}..${row.seq - 1} are missing`);
    if (auditHash(row) !== row.hash) return fail('edited', 'content does not match its hash');
    if (row.prevHash !== prevHash) return fail('relinked', 'does not link to the previous row');
    prevHash = row.hash;
    prevSeq = row.seq;
  }
  if (expectedHead !== undefined && expectedHead !== prevHash) {
    return { ok: false, count: rows.length, seq: prevSeq, problem: 'deleted', message: `chain ends at ${prevHash}, expected head ${expectedHead}: rows were removed from the end` };
  }
  return { ok: true, count: rows.length, head: prevHash };
}

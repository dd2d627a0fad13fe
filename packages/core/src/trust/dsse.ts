import { utf8 } from './bytes.js';
import { verifyBytes } from './keys.js';

/** A DSSE envelope (in-toto attestations): signatures cover the pre-authentication encoding. */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** DSSE v1 PAE: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function dssePae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  const head = utf8(`DSSEv1 ${type.length} ${payloadType} ${body.length} `);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

const fromBase64 = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** True when one signature by `keyid` (hex signature) verifies with `publicHex`. */
export function verifyDsse(env: DsseEnvelope, keyid: string, publicHex: string): boolean {
  const body = fromBase64(env.payload);
  return env.signatures.some((s) => s.keyid === keyid && verifyBytes(publicHex, s.sig, dssePae(env.payloadType, body)));
}

import { concatBytes } from './bytes.js';
import { TrustError } from './errors.js';

/** `fetch` or anything shaped like it: the client never reaches the network by itself. */
export type FetchLike = (url: string) => Promise<Response>;

/**
 * Reads a body but never more than `limit` bytes (endless-data attack): stops as soon as the
 * stream passes the limit, whatever Content-Length claimed.
 */
export async function readLimited(res: Response, limit: number, label: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) throw new TrustError('length-exceeded', `${label} is ${declared} bytes; at most ${limit} expected`);
  if (!res.body) return new Uint8Array(0);
  return readStreamLimited(res.body, limit, () => new TrustError('length-exceeded', `${label} sent more than the ${limit} bytes expected`));
}

/** Reads a whole stream into one array, cancelling it as soon as it passes `limit` bytes. */
export async function readStreamLimited(stream: ReadableStream<Uint8Array>, limit: number, tooLarge: () => Error): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

export async function fetchChecked(fetch: FetchLike, url: string, label: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new TrustError('fetch-failed', `${label}: ${(err as Error).message}`);
  }
  return res;
}

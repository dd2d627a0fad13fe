/**
 * Where the SDK keeps what must survive a restart: the last verified catalog, trusted TUF metadata,
 * installed plugin files and the activation state. Keys are `/`-separated paths of safe segments.
 * `set` must be atomic: a reader sees the old bytes or the new ones, never a torn write.
 */
export interface ByteStore {
  get(key: string): Promise<Uint8Array | null>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix (`plugins/x/`), in no particular order. */
  list(prefix: string): Promise<string[]>;
}

const SEGMENT = /^[A-Za-z0-9@._+-]+$/;

/** Refuses keys that could escape a directory or an OPFS root (`..`, empty or odd segments). */
export function checkKey(key: string): string[] {
  const parts = key.split('/');
  if (parts.some((p) => !SEGMENT.test(p) || p === '.' || p === '..')) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
  return parts;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function getText(store: ByteStore, key: string): Promise<string | null> {
  const bytes = await store.get(key);
  return bytes === null ? null : decoder.decode(bytes);
}

export const setText = (store: ByteStore, key: string, text: string): Promise<void> => store.set(key, encoder.encode(text));

export class MemoryStore implements ByteStore {
  private readonly map = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | null> {
    checkKey(key);
    return this.map.get(key) ?? null;
  }
  async set(key: string, value: Uint8Array): Promise<void> {
    checkKey(key);
    this.map.set(key, value.slice());
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix));
  }
}

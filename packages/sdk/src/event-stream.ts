/** One Server-Sent Event as the server writes it (`id:`, `event:`, `data:` lines). */
export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads a text/event-stream response body over fetch until it ends or `signal` aborts. fetch rather
 * than EventSource: Node 20 has no EventSource, and fetch lets the caller add headers.
 */
export async function readEventStream(
  fetchFn: typeof fetch,
  url: string,
  init: { headers?: Record<string, string>; signal: AbortSignal; onOpen?: () => void },
  onEvent: (event: StreamEvent) => void,
): Promise<void> {
  const res = await fetchFn(url, { headers: { accept: 'text/event-stream', ...init.headers }, signal: init.signal });
  if (!res.ok || !res.body) throw new Error(`GET ${url} answered ${res.status}`);
  init.onOpen?.();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseBlock(block);
        if (event) onEvent(event);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function parseBlock(block: string): StreamEvent | null {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && event === 'message') return null;
  return id === undefined ? { event, data: data.join('\n') } : { id, event, data: data.join('\n') };
}

export interface FollowOptions {
  headers?: Record<string, string>;
  signal: AbortSignal;
  onEvent: (event: StreamEvent) => void;
  /**
   * Each connection, the first included: events sent before it opened (between the caller's last
   * fetch and now, or while disconnected) are not replayed, so callers refetch what they follow then.
   */
  onConnect?: () => void;
  onError?: (err: unknown) => void;
  /** First reconnection delay, doubled after each failed attempt up to 30 s (default 500 ms). */
  reconnectMs?: number;
}

/**
 * Follows an event stream until `signal` aborts, reconnecting with backoff whenever it drops
 * (proxies, restarts, a lost network): the loop the catalog, the flags and the source resolver share.
 */
export function followEventStream(fetchFn: typeof fetch, url: string, opts: FollowOptions): void {
  const first = opts.reconnectMs ?? 500;
  void (async () => {
    let delay = first;
    while (!opts.signal.aborted) {
      try {
        await readEventStream(fetchFn, url, { headers: opts.headers ?? {}, signal: opts.signal, onOpen: () => ((delay = first), opts.onConnect?.()) }, opts.onEvent);
      } catch (err) {
        if (opts.signal.aborted) return;
        opts.onError?.(err);
      }
      if (opts.signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        opts.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      delay = Math.min(delay * 2, 30_000);
    }
  })();
}

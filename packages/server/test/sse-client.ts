import http from 'node:http';

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A minimal text/event-stream reader over a real socket, for tests: collects messages as they come. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  private request: http.ClientRequest | null = null;
  private waiters: Array<() => void> = [];

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    await new Promise<void>((resolve, reject) => {
      client.request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.status = res.statusCode ?? 0;
        client.headers = res.headers;
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            client.push(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        res.on('error', () => undefined);
        resolve();
      });
      client.request.on('error', reject);
    });
    return client;
  }

  private push(block: string): void {
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.messages.push({ comment: line.slice(1).trim() });
    }
    const fields: SseMessage = {};
    for (const line of block.split('\n')) {
      const m = /^(id|event|data): ?(.*)$/.exec(line);
      if (m) fields[m[1] as 'id' | 'event' | 'data'] = m[2];
    }
    if (fields.event !== undefined || fields.data !== undefined) this.messages.push(fields);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Events (not comments), optionally of one type. */
  events(type?: string): SseMessage[] {
    return this.messages.filter((m) => m.event !== undefined && (type === undefined || m.event === type));
  }

  async waitFor(predicate: (c: SseClient) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.request?.destroy();
  }
}

import { useEffect, useRef } from 'react';

/**
 * Calls `onChange` whenever the server announces one of `types` on /events (server-sent events,
 * public: they say what changed, never the data, which each screen then reads with its token).
 * EventSource reconnects by itself, resuming after the last event id it saw.
 */
export function useServerEvents(types: string, onChange: () => void): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    const source = new EventSource(`/events?types=${encodeURIComponent(types)}`);
    const handler = () => latest.current();
    for (const type of types.split(',')) source.addEventListener(type, handler);
    // A gap the server could not replay: read everything again.
    source.addEventListener('feed.reset', handler);
    return () => source.close();
  }, [types]);
}

/**
 * A minimal typed event emitter over plain listener sets: the browser entry has no `node:events`,
 * and EventTarget would force every payload into a CustomEvent.
 */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof Events>(type: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  protected listenerCount(type: keyof Events): number {
    return this.listeners.get(type)?.size ?? 0;
  }

  /** A throwing listener must not stop the others, nor the refresh loop that emitted. */
  protected emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      try {
        (listener as (p: Events[K]) => void)(payload);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

import pg from 'pg';

/**
 * Workaround for the shared harness: `pool.end()` resolves before its clients have closed, and the
 * throwaway database is then dropped WITH (FORCE), so PostgreSQL kills the still-closing backends;
 * with no 'error' listener on the pool (storage/database.ts) that surfaces as an uncaught error.
 * Suites that open many connections at once (concurrent appends) install this listener; the lead
 * is told in the report so that database.ts can listen for idle-client errors itself.
 */
export function tolerateTerminatedIdleClients(): void {
  const Base = pg.Pool;
  if ((Base as { tolerant?: boolean }).tolerant) return;
  class TolerantPool extends Base {
    static tolerant = true;
    constructor(options?: pg.PoolConfig) {
      super(options);
      this.on('error', (err: Error & { code?: string }) => {
        if (err.code !== '57P01') throw err;
      });
    }
  }
  pg.Pool = TolerantPool as typeof pg.Pool;
}

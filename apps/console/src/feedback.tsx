import { useCallback, useState } from 'react';
import { describeError } from './api.js';

/**
 * What a screen tells its user after an action: the server's refusal as an alert, or what was done
 * as a status line (both announced by screen readers).
 */
export function useFeedback() {
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const fail = useCallback((err: unknown) => setError(describeError(err)), []);
  /** Runs a change: on success says `done` (from its result, if a function) and runs `after` (a reload); a refusal becomes the alert. */
  const run = useCallback(async <T,>(what: () => Promise<T>, done: string | ((result: T) => string), after?: () => Promise<unknown>): Promise<T | undefined> => {
    setError(null);
    try {
      const result = await what();
      setNotice(typeof done === 'function' ? done(result) : done);
      await after?.();
      return result;
    } catch (err) {
      setError(describeError(err));
      return undefined;
    }
  }, []);
  return { error, notice, setError, fail, run };
}

export function Feedback({ error, notice = null }: { error: string | null; notice?: string | null }) {
  return (
    <>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
    </>
  );
}

/**
 * Runs a purge now and then every `intervalMs` until stopped. The timer does not keep the process
 * alive; a failed run is reported and the next one tries again.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly purge: () => Promise<number>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule and waits for a run in progress, so that closing the store is safe. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Resolves when the run started last has finished. */
  idle(): Promise<void> {
    return this.running;
  }

  private tick(): void {
    this.running = this.running.then(() => this.purge().then(() => undefined, this.onError));
  }
}

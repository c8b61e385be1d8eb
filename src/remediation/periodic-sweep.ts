// A task run at start and then every `everyMs` on this replica, never overlapping itself. Used for the remediation
// sweep (chain audit entries a crash left in the outbox, expire proposals); safe on every replica at once.

export interface PeriodicSweep {
  /** Stops the timer and waits for the run in hand. */
  stop(): Promise<void>;
}

export function startPeriodicSweep(task: () => Promise<unknown>, everyMs: number, onError: (err: unknown) => void): PeriodicSweep {
  let running: Promise<void> | null = null;
  const tick = (): void => {
    if (running) return;
    running = task()
      .then(() => undefined, onError)
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref(); // never what keeps a process alive
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

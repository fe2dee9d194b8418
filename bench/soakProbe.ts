/**
 * Preloaded into `callguard serve` by bench:soak (`node --expose-gc --import soakProbe.js ...`), so the
 * server itself carries no measuring hook: on SIGUSR2 it runs full garbage collections and writes one
 * line to stderr, `soak-probe {"rss":...,"heapUsed":...,...}` (process.memoryUsage() in bytes), which is
 * what the process keeps once its garbage is gone.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('soakProbe: start node with --expose-gc');

process.on('SIGUSR2', () => {
  // A second pass frees what the first only unlinked (weak references, finalizers' targets).
  gc();
  gc();
  process.stderr.write(`soak-probe ${JSON.stringify(process.memoryUsage())}\n`);
});

/**
 * Runs a lab bench's `main` as the whole process: it exits when main settles (with process.exitCode,
 * 1 on an error) and on Ctrl-C or SIGTERM, always through process.exit, so lab.ts's exit hook kills
 * every server the bench started, by PID.
 */
export function runBench(name: string, main: () => Promise<void>): void {
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  main().then(
    () => process.exit(),
    (error: unknown) => {
      console.error(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}

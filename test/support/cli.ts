import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The command line that runs the callguard CLI from source: node, then its arguments. */
export function callguardCommand(args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', MAIN, ...args];
}

/** Runs the callguard CLI from source, as a user would run the built one. */
export function callguard(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const [node, ...nodeArgs] = callguardCommand(args);
  const r = spawnSync(node!, nodeArgs, { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Streams `lines` into the CLI's stdin without holding them in one string, and counts output lines. */
export async function callguardStream(args: string[], lines: Iterable<string>): Promise<{ status: number | null; lines: number; last: string }> {
  const [node, ...nodeArgs] = callguardCommand(args);
  const child = spawn(node!, nodeArgs, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let count = 0;
  let last = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    count += chunk.split('\n').length - 1;
    last = (last + chunk).split('\n').slice(-2)[0] ?? last;
  });
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  let batch: string[] = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length === 10_000) {
      if (!child.stdin.write(`${batch.join('\n')}\n`)) await new Promise((r) => child.stdin.once('drain', r));
      batch = [];
    }
  }
  child.stdin.end(batch.length ? `${batch.join('\n')}\n` : '');
  return { status: await done, lines: count, last };
}

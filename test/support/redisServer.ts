import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { freePort } from './freePort.js';

/**
 * A private redis-server on a free loopback port, with an append-only file in a temp dir so a
 * restart keeps what was written (as production Redis would).
 */
export class RedisServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'callguard-redis-'));

  private constructor(
    readonly port: number,
    private readonly command: string,
    private readonly args: (port: number, dir: string) => string[],
  ) {}

  /** redis-server; `extraArgs` add replication, TLS, ACL users and the like. */
  static start(extraArgs: string[] = []): Promise<RedisServer> {
    return RedisServer.launch('redis-server', (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', ...extraArgs]);
  }

  /** Another Redis program (redis-sentinel) on a free port, given its arguments for that port and a temp dir. */
  static async launch(command: string, args: (port: number, dir: string) => string[]): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), command, args);
    await server.run();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async run(): Promise<void> {
    this.process = spawn(this.command, this.args(this.port, this.dir), { stdio: 'ignore' });
    const client = createClient({ url: this.url, socket: { reconnectStrategy: (n) => (n > 250 ? new Error(`${this.command} did not start`) : 20) } });
    client.on('error', () => {});
    await client.connect();
    await client.ping();
    await client.close();
  }

  /** Kills the server hard, as a crash or network loss would. */
  async kill(): Promise<void> {
    const proc = this.process;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the server keeps accepting connections and bytes and answers nothing (a hung or cut-off master), until `resume()`. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.run();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

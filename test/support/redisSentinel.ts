import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import type { RedisBySentinel } from '../../src/state/redisTarget.js';
import { RedisServer } from './redisServer.js';

const NAME = 'callguard';
const WAIT_MS = 60_000;

/** A RESP2 connection for a few admin commands (SENTINEL, ROLE, CONFIG), whose replies stay flat arrays. */
async function adminCommand<T>(port: number, args: string[]): Promise<T> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, RESP: 2, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.sendCommand(args)) as T;
  } finally {
    client.destroy();
  }
}

/** SENTINEL MASTER's flat [field, value, ...] as an object. */
function fields(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Sentinel group: timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Redis as a site runs it for failover: a master, one replica and three sentinels (Debian
 * redis-server and redis-sentinel), each on a free loopback port and stopped by its PID. The
 * sentinels call the master down after 1 s and agree with a quorum of two.
 *
 * With `holdFailover`, the replica starts with replica-priority 0, so no sentinel may promote it:
 * after killMaster() there is no master at all until releaseFailover(), however long a test needs
 * to look at the gap.
 */
export class SentinelGroup {
  private constructor(
    readonly master: RedisServer,
    readonly replica: RedisServer,
    readonly sentinels: RedisServer[],
  ) {}

  static async start(options: { holdFailover?: boolean } = {}): Promise<SentinelGroup> {
    const started: RedisServer[] = [];
    try {
      const master = await RedisServer.start();
      started.push(master);
      const replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(master.port), ...(options.holdFailover ? ['--replica-priority', '0'] : [])]);
      started.push(replica);
      const sentinels: RedisServer[] = [];
      for (let i = 0; i < 3; i++) {
        const sentinel = await RedisServer.launch('redis-sentinel', (port, dir) => {
          // Sentinel rewrites its configuration file as it learns the group, so each has its own.
          const file = join(dir, 'sentinel.conf');
          writeFileSync(
            file,
            [
              `port ${port}`,
              'bind 127.0.0.1',
              `dir ${dir}`,
              `sentinel monitor ${NAME} 127.0.0.1 ${master.port} 2`,
              `sentinel down-after-milliseconds ${NAME} 1000`,
              `sentinel failover-timeout ${NAME} 2000`,
              `sentinel parallel-syncs ${NAME} 1`,
              '',
            ].join('\n'),
          );
          return [file];
        });
        started.push(sentinel);
        sentinels.push(sentinel);
      }
      const group = new SentinelGroup(master, replica, sentinels);
      await group.waitUntilFormed();
      return group;
    } catch (error) {
      await Promise.all(started.map((s) => s.stop()));
      throw error;
    }
  }

  /** What REDIS_SENTINELS and REDIS_SENTINEL_NAME give the settings. */
  get target(): RedisBySentinel {
    return { sentinels: this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })), masterName: NAME };
  }

  get env(): { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string } {
    return { REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_NAME: NAME };
  }

  /** Every sentinel knows the master, the replica (in sync) and the two other sentinels: a failover can happen. */
  private async waitUntilFormed(): Promise<void> {
    for (const sentinel of this.sentinels) {
      await until(`sentinel ${sentinel.port} to know the replica and the other sentinels`, async () => {
        const master = fields(await adminCommand<string[]>(sentinel.port, ['SENTINEL', 'MASTER', NAME]));
        const replicas = (await adminCommand<string[][]>(sentinel.port, ['SENTINEL', 'REPLICAS', NAME])).map(fields);
        const replicaInSync = replicas.some((r) => r.port === String(this.replica.port) && r.flags === 'slave' && r['master-link-status'] === 'ok');
        return master.flags === 'master' && master['num-other-sentinels'] === '2' && replicaInSync ? true : undefined;
      });
    }
  }

  /** kill -9 of the master, as a crash would. */
  killMaster(): Promise<void> {
    return this.master.kill();
  }

  /** Lets the sentinels promote the replica (replica-priority back to its default). */
  async releaseFailover(): Promise<void> {
    await adminCommand(this.replica.port, ['CONFIG', 'SET', 'replica-priority', '100']);
  }

  /** Resolves once every sentinel names the replica as the master and the replica says it is one. */
  async waitForPromotion(): Promise<void> {
    await until('the replica promoted to master', async () => {
      for (const sentinel of this.sentinels) {
        const [, port] = await adminCommand<[string, string]>(sentinel.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME]);
        if (port !== String(this.replica.port)) return undefined;
      }
      const [role] = await adminCommand<[string]>(this.replica.port, ['ROLE']);
      return role === 'master' ? true : undefined;
    });
  }

  /** The master's URL as the sentinels name it now (the first that answers). */
  async masterUrl(): Promise<string> {
    for (const sentinel of this.sentinels) {
      const answer = await adminCommand<[string, string] | null>(sentinel.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME]).catch(() => null);
      if (answer) return `redis://${answer[0]}:${answer[1]}`;
    }
    throw new Error('Sentinel group: no sentinel names a master');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, this.replica, this.master].map((s) => s.stop()));
  }
}

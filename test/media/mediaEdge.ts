/**
 * The SIP edge in-process on the fake drachtio-server with the FreeSWITCH stand-in behind the media
 * seam, for the CI-level media tests (test/media/*.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FreeswitchGateway } from '../../src/media/freeswitchGateway.js';
import { MediaPool } from '../../src/media/mediaPool.js';
import { beginRecording } from '../../src/media/recordingStart.js';
import { Edge, until, type EdgeOptions } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest, RecordedResponse } from '../support/fakeDrachtio.js';
import { createClient } from 'redis';
import type { Plan } from '../../src/policy/plan.js';
import { FreeswitchStandIn, type Step } from '../support/freeswitchStandIn.js';
import { redisState, type StateUnderTest } from '../support/stateFixtures.js';

export interface MediaEdge {
  edge: Edge;
  /** The media server (the first of the pool). */
  fs: FreeswitchStandIn;
  /** Every media server of the pool, in the order given to it. */
  pool: FreeswitchStandIn[];
  /** The plan's site.recording.directory (a temp dir). */
  recordings: string;
  stop(): Promise<void>;
}

/** `servers`: how many FreeSWITCH stand-ins the media pool has (fs1.stand-in:8021, ...); one by default. */
export async function startMediaEdge(opts: Omit<EdgeOptions, 'media'> & { servers?: number } = {}): Promise<MediaEdge> {
  const { servers = 1, ...edgeOpts } = opts;
  const pool = servers === 1 ? [new FreeswitchStandIn()] : Array.from({ length: servers }, (_, i) => new FreeswitchStandIn(`fs${i + 1}.stand-in:8021`));
  const fs = pool[0]!;
  const recordings = mkdtempSync(join(tmpdir(), 'callguard-recordings-'));
  const edge = await Edge.start({
    ...edgeOpts,
    media: new FreeswitchGateway(new MediaPool(pool), beginRecording),
    site: (yaml) => {
      const edited = yaml.replace(/^(\s+directory:) \S+/m, `$1 ${recordings}`);
      return opts.site ? opts.site(edited) : edited;
    },
  });
  let stopped = false;
  return {
    edge,
    fs,
    pool,
    recordings,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const server of pool) server.release();
      try {
        await edge.stop();
      } finally {
        rmSync(recordings, { recursive: true, force: true });
      }
    },
  };
}

/** The first response to `a` with this status, waiting for it. */
export function responseWith(a: InboundTransaction, status: number): Promise<RecordedResponse> {
  return until(`a ${status} to the caller`, () => a.responses.find((r) => r.status === status));
}

/** INVITEs the app has sent so far (B legs). */
export function invitesSent(edge: Edge): OutboundRequest[] {
  return edge.fake.outboundRequests.filter((r) => r.method === 'INVITE');
}

export { answerByes } from '../support/edgeFixture.js';

/** No call in progress in the app, no open dialog on the fake, no endpoint left in any stand-in. */
export async function expectNothingLeft(m: MediaEdge): Promise<void> {
  await until('no call in progress', async () => (await m.edge.callsInProgress) === 0);
  await until(`no open dialog (open: ${m.edge.fake.openDialogs.join(', ')})`, () => m.edge.fake.openDialogs.length === 0);
  for (const server of m.pool) await server.allReleased();
}

/**
 * A fresh start for a test that needs 4101's PIN: the Redis store emptied, the PIN set through the same
 * keys the admin CLI writes, and a media edge serving from that Redis.
 */
export async function pinnedMediaEdge(redisUrl: string, plan: Plan, pin: string, opts: Omit<EdgeOptions, 'media' | 'redisUrl'> = {}): Promise<{ m: MediaEdge; state: StateUnderTest }> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  await client.flushAll();
  await client.close();
  const state = await redisState(plan, redisUrl, 'callguard:');
  await state.state.setPin('4101', pin);
  return { state, m: await startMediaEdge({ ...opts, redisUrl }) };
}

/**
 * A recorded call's recording asked for: `uuid_record <uuid> start <path>` on the inbound event
 * socket (src/media/noticeLeg.ts), waiting for it; `path` is the WAV's.
 */
export async function recordingStarted(fs: FreeswitchStandIn): Promise<{ step: Step; path: string }> {
  const step = await fs.waitFor('uuid_record', (s) => s.op === 'api' && s.arg === 'uuid_record');
  return { step, path: String(step.detail).split(' ').slice(2).join(' ') };
}

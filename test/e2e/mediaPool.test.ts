/**
 * The media pool end to end: `callguard serve` with FREESWITCH_HOSTS naming two real FreeSWITCH (each
 * its own copy of freeswitch-conf/ on its own ports, one event-socket secret), a real drachtio-server
 * and redis-server; SIPp callers dialling the recorded IT Service Desk and a SIPp PBX answering.
 *
 * Recorded calls placed together are spread over both servers (fewest calls in progress, as /health,
 * /metrics and each FreeSWITCH's own channel count show) and every one is recorded in stereo. A
 * FreeSWITCH that refuses new sessions (`fsctl pause`) is skipped within the call that tried it. One
 * FreeSWITCH SIGKILLed by its PID: /health shows it down, and the next recorded calls all go to the
 * other and succeed. Started again on its ports, it is reconnected (back-off) and takes calls again.
 *
 * Nothing asserts on timing. Skips with one line when E2E_DRACHTIO_BIN / E2E_DRACHTIO_CONF /
 * E2E_SIPP_BIN / E2E_FREESWITCH_RUN are unset.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { e2eMediaLab, startFreeswitch, type Freeswitch } from '../support/freeswitch.js';
import { labTempDir, startSipp, waitFor, type Sipp } from '../support/lab.js';
import { expectRecordedInStereo } from './recordedCalls.js';
import { writeRtpPcap } from './rtpPcap.js';
import { startStack, stopStack, type Stack } from './stack.js';

const lab = e2eMediaLab();

/** The IT Service Desk: recorded, notice service-desk. */
const RECORDED = '3000';
const CALLER = '4101';

interface ServerHealth {
  address: string;
  connected: boolean;
  calls: number;
}

describe.skipIf(!lab)('callguard serve: a media pool of two FreeSWITCH (real drachtio-server, FreeSWITCH, redis-server, SIPp)', () => {
  let stack: Stack;
  let fs1: Freeswitch;
  let fs2: Freeswitch;
  const work = labTempDir('callguard-media-pool-e2e-');
  const callerPcap = join(work, 'caller-440.pcap');
  const calleePcap = join(work, 'callee-1k.pcap');

  const address = (fs: Freeswitch) => `127.0.0.1:${fs.eslPort}`;
  const http = (path: string) => fetch(`http://127.0.0.1:${stack.app.httpPort}${path}`);
  const pool = async () => ((await (await http('/health')).json()) as { media: { available: boolean; servers: ServerHealth[] } }).media;
  /** `calls in progress` per server, fs1 then fs2, as /health gives them. */
  const callsOn = async () => (await pool()).servers.map((s) => s.calls);
  const metric = async (name: string, labels: string) => {
    const line = (await (await http('/metrics')).text()).split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };
  const channels = (fs: Freeswitch) => fs.channelCount();

  /**
   * `calls` recorded calls placed together: each caller plays a 440 Hz tone from the 183 on and hangs
   * up `holdMs` after the answer; the PBX answers each with a 1 kHz tone.
   */
  const recordedCalls = async (calls: number, holdMs: number): Promise<{ uac: Sipp; pbx: Sipp }> => {
    const pbx = await startSipp(lab!, { role: 'uas', scenarioFile: 'uas-media.xml', template: { pcap: calleePcap }, port: stack.ports.pbx, service: 'pbx', calls, timeoutSeconds: 240 });
    const uac = await startSipp(lab!, {
      role: 'uac',
      scenarioFile: 'uac-early-media.xml',
      template: { pcap: callerPcap, status: 403, hold: holdMs },
      remote: `127.0.0.1:${stack.drachtio.sipPort}`,
      service: RECORDED,
      keys: { from: CALLER },
      calls,
      rate: 10,
      timeoutSeconds: 240,
    });
    return { uac, pbx };
  };
  const bothDone = async ({ uac, pbx }: { uac: Sipp; pbx: Sipp }) => {
    expect(await uac.waitExit(240_000), uac.describe()).toBe(0);
    expect(await pbx.waitExit(60_000), pbx.describe()).toBe(0);
  };
  beforeAll(async () => {
    writeRtpPcap(callerPcap, [{ kind: 'tone', hz: 440, ms: 90_000 }]);
    writeRtpPcap(calleePcap, [{ kind: 'tone', hz: 1_000, ms: 90_000 }]);
    stack = await startStack(lab!, { media: 2 });
    [fs1, fs2] = stack.mediaServers as [Freeswitch, Freeswitch];
  }, 240_000);

  afterEach(() => {
    if (stack && !stack.app.process.alive) throw new Error(`callguard exited ${JSON.stringify(stack.app.process.status)}\n${stack.app.output()}`);
  });

  afterAll(async () => {
    await stopStack(stack);
  }, 120_000);

  it('both servers connected: /health and /metrics list each', async () => {
    const media = await pool();
    expect(media.available).toBe(true);
    expect(media.servers).toEqual([
      { address: address(fs1), connected: true, calls: 0 },
      { address: address(fs2), connected: true, calls: 0 },
    ]);
    expect(await metric('callguard_media_server_connected', `server="${address(fs1)}"`)).toBe(1);
    expect(await metric('callguard_media_server_connected', `server="${address(fs2)}"`)).toBe(1);
  }, 60_000);

  it('four recorded calls placed together: two on each FreeSWITCH, all four recorded in stereo', async () => {
    const calls = await recordedCalls(4, 15_000);
    // All four connected and held: the pool's view, then each FreeSWITCH's own (a caller and a callee channel a call).
    await waitFor('four calls on the media servers', async () => (await callsOn()).reduce((a, b) => a + b, 0) === 4, 180_000, 200);
    expect(await callsOn()).toEqual([2, 2]);
    expect(await metric('callguard_media_server_calls', `server="${address(fs1)}"`)).toBe(2);
    expect(await metric('callguard_media_server_calls', `server="${address(fs2)}"`)).toBe(2);
    await waitFor('two calls (four channels) in each FreeSWITCH', async () => (await channels(fs1)) === 4 && (await channels(fs2)) === 4, 120_000, 200);

    await bothDone(calls);
    expect(await fs1.waitForChannelCount(0, 30_000)).toBe(0);
    expect(await fs2.waitForChannelCount(0, 30_000)).toBe(0);
    expect(await expectRecordedInStereo(stack.recordings!, calls.uac)).toHaveLength(4);
    expect(await callsOn()).toEqual([0, 0]);
  }, 300_000);

  it('a FreeSWITCH refusing new sessions (fsctl pause): the call that tries it goes on to the other, recorded', async () => {
    const logsBefore = stack.app.logs().length;
    await fs1.api('fsctl pause');
    try {
      // Two calls together: one of them tries fs1 first (the other goes to fs2 as the less busy).
      const calls = await recordedCalls(2, 8_000);
      await waitFor('both calls on fs2', async () => (await callsOn())[1] === 2, 180_000, 200);
      expect(await callsOn()).toEqual([0, 2]);
      await bothDone(calls);
      expect(await expectRecordedInStereo(stack.recordings!, calls.uac)).toHaveLength(2);
    } finally {
      await fs1.api('fsctl resume');
    }
    const failover = stack.app.logs().slice(logsBefore).find((l) => l.where === 'media-endpoint');
    expect(failover, stack.app.output()).toMatchObject({ freeswitch: address(fs1), msg: `FreeSWITCH at ${address(fs1)} could not make an endpoint: the call tries the next media server` });
    expect(await fs1.waitForChannelCount(0, 30_000)).toBe(0);
    expect(await fs2.waitForChannelCount(0, 30_000)).toBe(0);
  }, 300_000);

  it('one FreeSWITCH killed (SIGKILL): /health shows it down; the next recorded calls all go to the other and succeed', async () => {
    fs1.process.signal('SIGKILL');
    expect((await fs1.process.waitExit(30_000)).signal).toBe('SIGKILL');
    const down = await waitFor('/health showing fs1 down', async () => {
      const media = await pool();
      return media.servers[0]?.connected === false ? media : undefined;
    }, 60_000, 200);
    expect(down).toMatchObject({
      available: true,
      servers: [
        { address: address(fs1), connected: false, calls: 0 },
        { address: address(fs2), connected: true, calls: 0 },
      ],
    });
    expect(await metric('callguard_media_server_connected', `server="${address(fs1)}"`)).toBe(0);
    const unreachable = 'FreeSWITCH unreachable: new media calls go to the other media servers, if any, until it is back';
    await stack.app.waitForLog('the outage logged', (l) => l.msg === unreachable, 30_000);
    expect(stack.app.logs().filter((l) => l.msg === unreachable).map((l) => l.freeswitch), stack.app.output()).toEqual([address(fs1)]);

    const calls = await recordedCalls(3, 8_000);
    await waitFor('three calls on fs2', async () => (await callsOn())[1] === 3, 180_000, 200);
    expect(await callsOn()).toEqual([0, 3]);
    await bothDone(calls);
    expect(await expectRecordedInStereo(stack.recordings!, calls.uac)).toHaveLength(3);
    expect(await fs2.waitForChannelCount(0, 30_000)).toBe(0);
    expect((await pool()).servers.map((s) => s.connected)).toEqual([false, true]);
  }, 300_000);

  it('the killed FreeSWITCH started again on its ports: reconnected, and calls placed together are spread over both again', async () => {
    const again = await startFreeswitch(lab!, { secret: fs1.secret, ports: { esl: fs1.eslPort, sip: fs1.sipPort } });
    stack.mediaServers!.push(again); // stopped with the stack
    // Reconnection backs off up to 30 s between attempts: room for that on a busy box.
    await waitFor('/health showing fs1 connected again', async () => (await pool()).servers[0]?.connected === true, 120_000, 500);
    await stack.app.waitForLog('the end of the outage logged', (l) => l.msg === 'FreeSWITCH reachable again' && l.freeswitch === address(fs1), 30_000);

    const calls = await recordedCalls(2, 10_000);
    await waitFor('two calls on the media servers', async () => (await callsOn()).reduce((a, b) => a + b, 0) === 2, 180_000, 200);
    expect(await callsOn()).toEqual([1, 1]);
    await waitFor('a call (two channels) in each FreeSWITCH', async () => (await channels(again)) === 2 && (await channels(fs2)) === 2, 120_000, 200);
    await bothDone(calls);
    expect(await expectRecordedInStereo(stack.recordings!, calls.uac)).toHaveLength(2);
    expect(await again.waitForChannelCount(0, 30_000)).toBe(0);
    expect(await fs2.waitForChannelCount(0, 30_000)).toBe(0);
  }, 300_000);
});

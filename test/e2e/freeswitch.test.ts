/**
 * The shipped FreeSWITCH configuration (freeswitch-conf/) against the real servers: drachtio-server and
 * the lab's FreeSWITCH on free loopback ports, SIPp callers and callees sending RTP and RFC 2833 digits,
 * and a tiny inline drachtio-srf + drachtio-fsmrf 4.1.2 app (no callguard) doing what src/media does:
 * connectCaller, play, playCollect, createEndpoint (3pcc), bridge, record_session.
 *
 * It proves the configuration (answer before socket, 3pcc, no SRTP, soft timer, telephone-events, the
 * outbound socket target from X-esl-outbound) for the media code, so a configuration problem shows up
 * here rather than as a confusing failure in the callguard media suites. Skips with one line when
 * E2E_DRACHTIO_BIN / E2E_DRACHTIO_CONF / E2E_SIPP_BIN / E2E_FREESWITCH_RUN are unset.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Srf from 'drachtio-srf';
import Mrf from 'drachtio-fsmrf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labTempDir, quietly, SCENARIO_DIR, startDrachtio, startSipp, stopAll, type Drachtio, type Sipp } from '../support/lab.js';
import { channelStat, e2eMediaLab, startFreeswitch, type Freeswitch } from '../support/freeswitch.js';
import { writeRtpPcap } from './rtpPcap.js';

const run = promisify(execFile);
const lab = e2eMediaLab();

/** connectCaller is not in src/types/drachtio-fsmrf.d.ts (the media code uses its own flow); typed here. */
type MediaServer = Mrf.MediaServer & {
  connectCaller(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<{ endpoint: Mrf.Endpoint; dialog: Srf.Dialog }>;
};

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

interface DigitsOutcome {
  played: { playbackSeconds?: string | undefined };
  collected: string | undefined;
  dtmfEvents: string[];
  dtmfSources: string[];
}

/** Sends an in-dialog INFO (same content type and body) to FreeSWITCH on the endpoint's dialog. */
async function relayInfo(endpoint: Mrf.Endpoint, info: Srf.SrfRequest): Promise<void> {
  const request = endpoint.dialog.request.bind(endpoint.dialog) as unknown as (opts: { method: 'INFO'; headers: Record<string, string>; body: string }) => Promise<unknown>;
  await request({ method: 'INFO', headers: { 'Content-Type': info.get('Content-Type') ?? 'application/dtmf-relay' }, body: info.body });
}

describe.skipIf(!lab)('e2e media: drachtio-server + FreeSWITCH with freeswitch-conf/ + drachtio-fsmrf 4.1.2', () => {
  let drachtio: Drachtio;
  let fs: Freeswitch;
  let srf: Srf;
  let ms: MediaServer;
  let callee: Sipp | undefined;
  const work = labTempDir('callguard-media-');
  const digitsCalls: Record<string, Deferred<DigitsOutcome>> = { '7001': deferred(), '7003': deferred() };
  const recordCall = deferred<{ file: string }>();
  const recording = join(work, 'recorded-4202.wav');

  beforeAll(async () => {
    [drachtio, fs] = await Promise.all([startDrachtio(lab!), startFreeswitch(lab!)]);
    srf = new Srf();
    srf.on('error', () => {});
    const connected = new Promise<void>((resolve) => srf.once('connect', () => resolve()));
    srf.connect(drachtio.connectOptions);
    await connected;
    const mrf = new Mrf(srf);
    ms = (await mrf.connect(fs.connectOptions)) as MediaServer;

    srf.invite((req, res) => {
      const digitsCall = digitsCalls[req.calledNumber];
      if (digitsCall) {
        // Notice + PIN prompt path: answer through FreeSWITCH, play a tone, collect six digits.
        void (async () => {
          const { endpoint, dialog } = await ms.connectCaller(req, res);
          dialog.on('destroy', () => void endpoint.destroy().catch(() => {}));
          // SIP INFO digits end at the app (the caller's dialog is with drachtio, not FreeSWITCH): relay
          // them into the endpoint's dialog, where the drachtio_mrf profile accepts them as DTMF.
          dialog.on('info', (info, infoRes) => {
            infoRes.send(200);
            void relayInfo(endpoint, info).catch(() => {});
          });
          const dtmfEvents: string[] = [];
          const dtmfSources: string[] = [];
          endpoint.on('dtmf', (evt: { dtmf: string; source?: string }) => {
            dtmfEvents.push(evt.dtmf);
            if (evt.source) dtmfSources.push(evt.source);
          });
          const played = await endpoint.play('tone_stream://%(1000,0,440);loops=1');
          const result = await endpoint.playCollect({ file: 'silence_stream://250', min: 6, max: 6, tries: 1, timeout: 20_000, digitTimeout: 5_000, terminators: '#' });
          digitsCall.resolve({ played, collected: result.digits, dtmfEvents, dtmfSources });
        })().catch((error: unknown) => digitsCall.reject(error));
        return;
      }
      if (req.calledNumber === '4202') {
        // Recorded call path: caller endpoint, callee endpoint (3pcc offer to the callee), stereo
        // recording on the caller's leg, the two legs bridged inside FreeSWITCH.
        void (async () => {
          const { endpoint: a, dialog: callerDialog } = await ms.connectCaller(req, res);
          const b = await ms.createEndpoint();
          const calleeDialog = await srf.createUAC(`sip:4202@127.0.0.1:${callee!.port}`, { localSdp: b.local.sdp });
          let ended = false;
          const end = () => {
            if (ended) return;
            ended = true;
            void Promise.allSettled([a.destroy(), b.destroy(), Promise.resolve(calleeDialog.destroy() as unknown), Promise.resolve(callerDialog.destroy() as unknown)]);
          };
          callerDialog.on('destroy', end);
          calleeDialog.on('destroy', end);
          await b.modify(calleeDialog.remote.sdp);
          await a.set('RECORD_STEREO', 'true');
          await a.execute('record_session', recording);
          await a.bridge(b);
          recordCall.resolve({ file: recording });
        })().catch((error: unknown) => recordCall.reject(error));
        return;
      }
      res.send(404);
    });
  });

  afterAll(async () => {
    await quietly(() => ms?.disconnect());
    await quietly(() => srf?.disconnect());
    await quietly(() => callee?.stop());
    await quietly(() => fs?.stop());
    await quietly(() => drachtio?.stop());
    await stopAll();
  });

  it('the drachtio_mrf profile is what drachtio-fsmrf found, and nothing is up before the first call', async () => {
    expect(await fs.api('sofia status')).toMatch(new RegExp(`drachtio_mrf\\s+profile\\s+sip:mod_sofia@127\\.0\\.0\\.1:${fs.sipPort}\\s+RUNNING`));
    expect(await fs.channelCount()).toBe(0);
  });

  it('a caller is answered through FreeSWITCH, hears a tone, and six RFC 2833 digits are collected; no channel is left', async () => {
    const pcap = join(work, 'caller-digits.pcap');
    const pcapMs = writeRtpPcap(pcap, [
      { kind: 'silence', ms: 3_000 }, // while the tone plays
      { kind: 'digits', digits: '123456' },
      { kind: 'silence', ms: 1_000 },
    ]);
    const uac = await startSipp(lab!, { scenarioFile: 'uac-media.xml', template: { pcap, hold: pcapMs + 2_000 }, role: 'uac', remote: `127.0.0.1:${drachtio.sipPort}`, service: '7001', keys: { from: '4101' }, calls: 1, timeoutSeconds: 60 });
    const outcome = await digitsCalls['7001']!.promise;
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(outcome.collected, JSON.stringify(outcome)).toBe('123456');
    expect(outcome.dtmfEvents.join('')).toBe('123456');
    expect(new Set(outcome.dtmfSources), JSON.stringify(outcome)).toEqual(new Set(['RTP']));
    expect(Number(outcome.played.playbackSeconds ?? 0)).toBeGreaterThanOrEqual(1);
    expect(await fs.waitForChannelCount(0)).toBe(0);
  });

  it('SIP INFO digits (application/dtmf-relay), relayed by the app into the FreeSWITCH dialog, are collected too; no channel is left', async () => {
    const pcap = join(work, 'caller-silence.pcap');
    const pcapMs = writeRtpPcap(pcap, [{ kind: 'silence', ms: 6_000 }]);
    const info = (digit: string, cseq: number) => `
  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller [from]" <sip:[from]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: ${cseq} INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${digit}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
  <pause milliseconds="150"/>`;
    // uac-media.xml with six INFO digits 2.5 s after the ACK (after the tone), before the hold and BYE.
    const base = readFileSync(join(SCENARIO_DIR, 'uac-media.xml'), 'utf8');
    const digits = [...'654321'].map((d, i) => info(d, 10 + i)).join('');
    const scenarioXml = base.replace('<pause milliseconds="{{hold}}"/>', `<pause milliseconds="2500"/>${digits}\n  <pause milliseconds="{{hold}}"/>`).replace('CSeq: 2 BYE', 'CSeq: 20 BYE');
    const uac = await startSipp(lab!, { scenarioXml, template: { pcap, hold: 2_000 }, role: 'uac', remote: `127.0.0.1:${drachtio.sipPort}`, service: '7003', keys: { from: '4101' }, calls: 1, timeoutSeconds: 60 });
    const outcome = await digitsCalls['7003']!.promise;
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(pcapMs).toBeGreaterThan(0);
    expect(outcome.collected, JSON.stringify(outcome)).toBe('654321');
    expect(outcome.dtmfEvents.join('')).toBe('654321');
    expect(await fs.waitForChannelCount(0)).toBe(0);
  });

  it('a bridged, recorded call (RECORD_STEREO + record_session) writes a stereo WAV with audio on both channels; no channel is left', async () => {
    const { stdout: soxi } = await run('sh', ['-c', 'command -v soxi || true']);
    if (!soxi.trim()) throw new Error('soxi (Debian package sox) is not installed; .ci/run installs it');
    const callerPcap = join(work, 'caller-tone.pcap');
    const calleePcap = join(work, 'callee-tone.pcap');
    const callerMs = writeRtpPcap(callerPcap, [{ kind: 'tone', hz: 440, ms: 4_000 }]);
    writeRtpPcap(calleePcap, [{ kind: 'tone', hz: 1_000, ms: 4_000 }]);
    callee = await startSipp(lab!, { scenarioFile: 'uas-media.xml', template: { pcap: calleePcap }, role: 'uas', service: '4202', calls: 1, timeoutSeconds: 60 });
    const uac = await startSipp(lab!, { scenarioFile: 'uac-media.xml', template: { pcap: callerPcap, hold: callerMs + 1_000 }, role: 'uac', remote: `127.0.0.1:${drachtio.sipPort}`, service: '4202', keys: { from: '4101' }, calls: 1, timeoutSeconds: 60 });
    await recordCall.promise;
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await callee.waitExit(), callee.describe()).toBe(0);
    expect(await fs.waitForChannelCount(0)).toBe(0);

    expect(existsSync(recording), await fs.logTail()).toBe(true);
    const { stdout: channels } = await run('soxi', ['-c', recording]);
    expect(Number(channels.trim())).toBe(2);
    const { stdout: rate } = await run('soxi', ['-r', recording]);
    expect(Number(rate.trim())).toBe(8000);
    // One party per channel: the caller's 440 Hz on one, the callee's 1 kHz on the other.
    const caller = await channelStat(recording, 1);
    const calleeSide = await channelStat(recording, 2);
    expect(caller.rms).toBeGreaterThan(0.01);
    expect(calleeSide.rms).toBeGreaterThan(0.01);
    expect(Math.abs(caller.hz - 440), JSON.stringify({ caller, calleeSide })).toBeLessThan(60);
    expect(Math.abs(calleeSide.hz - 1_000), JSON.stringify({ caller, calleeSide })).toBeLessThan(100);
  });
});

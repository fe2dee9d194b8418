/**
 * One call-out call (src/media/callOutCall.ts) at CI level: drachtio-srf's real code on the fake
 * drachtio-server, the FreeSWITCH stand-in for the endpoint. A responder's phone that sends nothing
 * at all (switched off, unreachable without an ICMP) must not hold the call-out, or the shutdown that
 * waits for it, until its INVITE times out 32 s later.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Srf from 'drachtio-srf';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PhoneCall } from '../../src/audit/callOut.js';
import { CallOutAudio } from '../../src/media/callOutAudio.js';
import { phoneThroughFreeswitch } from '../../src/media/callOutCall.js';
import type { Plan } from '../../src/policy/plan.js';
import { FakeDrachtio } from '../support/fakeDrachtio.js';
import { FreeswitchStandIn } from '../support/freeswitchStandIn.js';
import { samplePlan } from '../support/plans.js';
import * as sip from '../support/sipText.js';

const RESPONDER = '2223';

let fake: FakeDrachtio;
let srf: Srf;
let fs: FreeswitchStandIn;
let plan: Plan;
let audioDir: string;

beforeEach(async () => {
  fake = await FakeDrachtio.start({ secret: 'call-out', autoRespond487OnCancel: false });
  srf = new Srf();
  srf.on('error', () => undefined);
  srf.connect({ host: fake.host, port: fake.port, secret: fake.secret });
  await new Promise((resolve) => srf.once('connect', resolve));
  fs = new FreeswitchStandIn();
  plan = await samplePlan();
  audioDir = mkdtempSync(join(tmpdir(), 'callguard-call-out-'));
});

afterEach(async () => {
  fs.release();
  srf.disconnect();
  await fake.close();
  rmSync(audioDir, { recursive: true, force: true });
});

async function phone(signal: AbortSignal) {
  const logger = pino({ level: 'silent' });
  const call: PhoneCall = {
    responder: RESPONDER,
    alert: { kind: 'emergency', ext: '4101', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: new Date().toISOString(), callId: 'call-a' },
    message: new Promise(() => {}),
    signal,
  };
  const responder = phoneThroughFreeswitch({ srf, plan: () => plan, mediaServer: () => fs.mediaServer, audio: await CallOutAudio.open(audioDir, logger), logger });
  return responder(call);
}

describe("a responder's phone that sends nothing", () => {
  it('shutting down ends the call at once: the attempt says so, the endpoint is released, and an answer that comes after all is hung up', async () => {
    const shutdown = new AbortController();
    const attempt = phone(shutdown.signal);
    const invite = await fake.nextOutboundRequest({ method: 'INVITE' });
    expect(sip.userOf(invite.uri)).toBe(RESPONDER);
    shutdown.abort();
    expect(await attempt).toEqual({ kind: 'failed', why: 'shutting down' });
    await fs.allReleased();
    invite.respond(200, { body: sip.sdp({ ip: '192.0.2.23' }) });
    expect((await fake.nextOutboundRequest({ method: 'BYE' })).get('call-id')).toBe(invite.get('call-id'));
  });
});

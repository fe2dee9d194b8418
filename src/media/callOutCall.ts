import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CallOutAttempt, PhoneCall, PhoneResponder } from '../audit/callOut.js';
import type { Plan } from '../policy/plan.js';
import { createUac, outgoingInvite } from '../sip/outgoingInvite.js';
import { securityUri } from '../sip/routing.js';
import { safely } from '../sip/teardown.js';
import type { CallOutAudio } from './callOutAudio.js';
import { collectDigits, playBounded } from './prompts.js';

/** A responder's phone that has not answered by then is cancelled (and tried again, up to the call-out's bound). */
const RING_TIMEOUT_MS = 30_000;
/** Times the message is played to an answered phone before the call ends unacknowledged (each play waits 10 s for the 1). */
const REPEATS = 5;

export interface CallOutPhoneDeps {
  srf: Srf;
  plan: () => Plan;
  /** A connected FreeSWITCH, if any. */
  mediaServer: () => Mrf.MediaServer | undefined;
  audio: CallOutAudio;
  logger: Logger;
}

type Ringing = { kind: 'answered'; dialog: Srf.Dialog } | Extract<CallOutAttempt, { kind: 'unanswered' | 'failed' }>;

/**
 * Phones one responder through FreeSWITCH: an endpoint made without an offer (3pcc), its SDP in our
 * INVITE to the responder by the routes the plan uses for Security Control's targets (an extension via
 * `routes.internal`, an E.164 number via `routes.external`, a SIP URI as written), From
 * `EMERGENCY <location>` at the site's main number. Once answered, the message plays and a 1 (RFC 2833,
 * or in-band as FreeSWITCH detects it) is collected, again and again until the responder presses 1 or
 * hangs up.
 */
export function phoneThroughFreeswitch(deps: CallOutPhoneDeps): PhoneResponder {
  return async (call) => {
    const server = deps.mediaServer();
    if (!server) return { kind: 'failed', why: 'no media server connected' };
    let endpoint: Mrf.Endpoint;
    try {
      endpoint = await server.createEndpoint();
    } catch (error) {
      return { kind: 'failed', why: `media server could not make an endpoint: ${(error as Error).message}` };
    }
    try {
      const plan = deps.plan();
      const ringing = await ring(deps.srf, securityUri(plan, call.responder), endpoint.local.sdp, plan.site.mainNumber, call);
      if (ringing.kind !== 'answered') return ringing;
      try {
        await endpoint.modify(ringing.dialog.remote.sdp);
        return await repeatUntilAcknowledged(deps, endpoint, ringing.dialog, call);
      } finally {
        safely(() => ringing.dialog.destroy());
      }
    } catch (error) {
      return { kind: 'failed', why: (error as Error).message };
    } finally {
      await endpoint.destroy().catch((error: unknown) => deps.logger.warn({ callId: call.alert.callId, err: (error as Error).message }, "call-out: media server could not release a responder's endpoint"));
    }
  };
}

/** The INVITE, given up when the phone has not answered in time or the call-out is stopped. */
async function ring(srf: Srf, uri: string, sdp: string, callingNumber: string, call: PhoneCall): Promise<Ringing> {
  const callingName = `EMERGENCY ${call.alert.location}`.trim();
  const invite = outgoingInvite((sent) => createUac(srf, uri, { localSdp: sdp, headers: { Priority: 'urgent' }, callingNumber, callingName }, sent));
  let cancelled: string | undefined;
  const cancel = (why: string) => {
    if (cancelled) return;
    cancelled = why;
    invite.abandon();
  };
  const timer = setTimeout(() => cancel(`no answer within ${RING_TIMEOUT_MS / 1000} s`), RING_TIMEOUT_MS);
  const stop = () => cancel('shutting down');
  call.signal.addEventListener('abort', stop);
  try {
    const answer = await invite.answer;
    if (answer !== 'abandoned') {
      if (!cancelled) return { kind: 'answered', dialog: answer.dialog };
      // The answer crossed our CANCEL.
      safely(() => answer.dialog.destroy());
    }
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (!cancelled) return status ? { kind: 'unanswered', why: `answered ${status}` } : { kind: 'failed', why: `INVITE not sent: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
    call.signal.removeEventListener('abort', stop);
  }
  return call.signal.aborted ? { kind: 'failed', why: cancelled! } : { kind: 'unanswered', why: cancelled! };
}

/** The message and a wait for the 1, up to REPEATS times; a hang-up (or shutdown) ends it at once. */
async function repeatUntilAcknowledged(deps: CallOutPhoneDeps, endpoint: Mrf.Endpoint, dialog: Srf.Dialog, call: PhoneCall): Promise<CallOutAttempt> {
  const { logger } = deps;
  const fields = { callId: call.alert.callId, responder: call.responder };
  const gone = new Promise<'gone'>((resolve) => {
    if ((dialog as Srf.Dialog & { connected?: boolean }).connected === false) resolve('gone');
    dialog.once('destroy', () => resolve('gone'));
    call.signal.addEventListener('abort', () => resolve('gone'), { once: true });
  });
  const { file } = await call.message;
  const failed = (error: unknown) => logger.warn({ ...fields, err: error instanceof Error ? error.message : String(error) }, 'call-out: the message could not be played or digits collected');
  for (let played = 0; played < REPEATS; played++) {
    const digits = await Promise.race([collectDigits(endpoint, file, 1, failed), gone]);
    if (digits === 'gone') return call.signal.aborted ? { kind: 'failed', why: 'shutting down' } : { kind: 'hung-up' };
    if (digits === '1') {
      const at = Date.now();
      const confirmation = await deps.audio.confirmation();
      if (confirmation) await Promise.race([playBounded(endpoint, confirmation, failed), gone]);
      return { kind: 'acknowledged', at };
    }
  }
  return { kind: 'unacknowledged' };
}

import { setTimeout as sleep } from 'node:timers/promises';
import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import { createUac, outgoingInvite } from '../sip/outgoingInvite.js';
import { BRIDGE_LEG_HEADER } from './bridgeLeg.js';
import { apiSucceeded, type CallerMedia } from './callerMedia.js';
import { RINGBACK } from './prompts.js';

/** The value of X-Callguard-Leg that freeswitch-conf/dialplan/drachtio.xml answers with the notice. */
export const NOTICE_LEG = 'notice';
const NOTICE_HEADER = 'X-Callguard-Notice';
/** FreeSWITCH's playback result (current_application_response), in the 200 the dialplan answers with. */
const NOTICE_RESULT_HEADER = 'X-Callguard-Notice-Result';
const NOTICE_PLAYED = 'FILE PLAYED';

/**
 * The caller's side of a recorded call, which FreeSWITCH's dialplan runs by itself until the notice has
 * played: an INVITE with the caller's offer and the notice's file; FreeSWITCH answers 183 (early media,
 * passed to the caller), plays the notice, then answers 200 and parks the channel. Every later command
 * goes by UUID (the Call-ID) over the server's one inbound event socket: no event socket a call, which
 * costs FreeSWITCH a thread polling it and both ends the channel's variables on every event.
 */
export interface NoticeLeg extends CallerMedia {
  /** Why the caller did not hear the notice (FreeSWITCH's playback result), or undefined when they did. */
  readonly noticeFailure: string | undefined;
  /** Passes digits the caller sent by SIP INFO into the channel. */
  sendDigits(digits: string): Promise<void>;
  /**
   * For once the call has ended: if FreeSWITCH still has the channel `afterMs` later, kills it by UUID
   * and resolves true. Rejects when the media server cannot be asked.
   */
  killIfLeft(afterMs: number): Promise<boolean>;
}

export interface NoticeLegRequest {
  /** The caller's SDP offer. */
  offer: string | undefined;
  /** The notice's audio file; none: the leg is answered at once. */
  notice: string | undefined;
  /** FreeSWITCH's 183: passed to the caller; false when the caller has gone (the INVITE is then cancelled). */
  earlyMedia(sdp: string): boolean;
  /** Registers a release for when the call ends (the INVITE cancelled while the notice plays). */
  own(release: () => void): void;
  /** A notice that never ends (a stuck media server) must not hold the call for ever. */
  limitMs: number;
}

export async function createNoticeLeg(server: Mrf.MediaServer, request: NoticeLegRequest): Promise<NoticeLeg> {
  const address = server.sip.ipv4.udp.address;
  if (!address) throw new Error('media server not ready: its SIP address is not known yet');
  const headers: Record<string, string> = { [BRIDGE_LEG_HEADER]: NOTICE_LEG };
  if (request.notice) headers[NOTICE_HEADER] = request.notice;
  let timedOut = false;
  let answered = false;
  const invite = outgoingInvite((sent) =>
    createUac(server.srf, `sip:${NOTICE_LEG}@${address}`, { localSdp: request.offer, headers }, sent, (provisional) => {
      if (provisional.status === 183 && provisional.body && !request.earlyMedia(provisional.body)) abandon();
    }),
  );
  const abandon = () => {
    if (!answered) invite.abandon(); // once answered, the leg is the call's, released with it by BYE
  };
  request.own(abandon);
  const timer = setTimeout(() => {
    timedOut = true;
    abandon();
  }, request.limitMs);
  let answer: { dialog: Srf.Dialog } | 'abandoned';
  try {
    answer = await invite.answer;
  } finally {
    answered = true;
    clearTimeout(timer);
  }
  if (answer === 'abandoned') throw new Error(timedOut ? `no end of the notice from the media server after ${request.limitMs / 1000} s` : 'the call ended while the notice played');
  const { dialog } = answer;
  const uuid = dialog.sip.callId;
  const api = async (command: string) => apiSucceeded(await server.api(command));
  const result = (dialog as Srf.Dialog & { res?: Srf.SrfResponse }).res?.get(NOTICE_RESULT_HEADER);
  return {
    uuid,
    dialog,
    local: { sdp: dialog.remote.sdp },
    noticeFailure: request.notice && result !== NOTICE_PLAYED ? result || 'no playback result from the media server' : undefined,
    sendDigits: (digits) => api(`uuid_recv_dtmf ${uuid} ${digits}`),
    ringback: () => api(`uuid_broadcast ${uuid} ${RINGBACK} aleg`),
    stopRingback: () => api(`uuid_break ${uuid} all`),
    bridge: (other) => api(`uuid_bridge ${uuid} ${other}`),
    recordStereo: () => api(`uuid_setvar ${uuid} RECORD_STEREO true`),
    record: (path) => api(`uuid_record ${uuid} start ${path}`),
    killIfLeft: async (afterMs) => {
      // Unreferenced: a process stopping does not wait for it.
      await sleep(afterMs, undefined, { ref: false });
      if ((await server.api(`uuid_exists ${uuid}`))?.trim() !== 'true') return false;
      await api(`uuid_kill ${uuid}`);
      return true;
    },
  };
}

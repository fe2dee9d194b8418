import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import { RINGBACK, stopPlaying } from './prompts.js';

/**
 * The caller's channel on FreeSWITCH as connectThroughMedia drives it once the caller has heard what
 * they had to: ringback, then bridged to the callee's leg and recorded. Either a drachtio-fsmrf endpoint
 * (after a PIN prompt), commands on its own event socket, or a recorded call's notice leg, commands by
 * UUID on the server's one inbound connection (noticeLeg.ts).
 */
export interface CallerMedia {
  readonly uuid: string;
  readonly dialog: Srf.Dialog;
  /** FreeSWITCH's SDP, the caller's answer. */
  readonly local: { sdp: string };
  /** Plays the ringback until stopRingback(); rejects when it cannot be played. */
  ringback(): Promise<unknown>;
  stopRingback(): Promise<unknown>;
  bridge(uuid: string): Promise<unknown>;
  /** RECORD_STEREO on the channel: the caller on one channel of the recording, the callee on the other. */
  recordStereo(): Promise<void>;
  record(path: string): Promise<unknown>;
}

/** An API command's answer: "+OK ..." or "-ERR <why>", which is made a rejection. */
export function apiSucceeded(body: string | undefined): void {
  if (!body?.startsWith('+OK')) throw new Error(body?.trim() || 'no answer from the media server');
}

/** A drachtio-fsmrf endpoint as the caller's media: commands on its event socket. */
export function endpointMedia(endpoint: Mrf.Endpoint): CallerMedia {
  return {
    uuid: endpoint.uuid,
    dialog: endpoint.dialog,
    local: endpoint.local,
    ringback: () => endpoint.play(RINGBACK),
    stopRingback: () => stopPlaying(endpoint),
    bridge: (uuid) => endpoint.bridge(uuid),
    // By API, whose answer is a line where the `set` application's is a CHANNEL_EXECUTE_COMPLETE with every variable.
    recordStereo: async () => apiSucceeded((await endpoint.api('uuid_setvar', `${endpoint.uuid} RECORD_STEREO true`)).getBody()),
    record: (path) => endpoint.execute('record_session', path),
  };
}

import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';

/** Marks an INVITE to FreeSWITCH as a bridge leg; freeswitch-conf/dialplan/drachtio.xml parks it. */
export const BRIDGE_LEG_HEADER = 'X-Callguard-Leg';
export const BRIDGE_LEG = 'bridge';

/**
 * The callee's side of a call through FreeSWITCH: a channel that is only ever bridged to the caller's
 * endpoint, so unlike a drachtio-fsmrf endpoint it has no event socket of its own. An endpoint's socket
 * costs FreeSWITCH a thread polling it for the channel's life and this process a connection, the
 * channel's variables (CHANNEL_DATA, 7 kB), a subscription, a filter and a hang-up event; this leg
 * is a SIP dialog alone, released by its BYE.
 */
export interface BridgeLeg {
  /** The FreeSWITCH channel's UUID, for uuid_bridge: the dialog's Call-ID (the profile's inbound-use-callid-as-uuid). */
  readonly uuid: string;
  readonly dialog: Srf.Dialog;
  /** FreeSWITCH's offer, for the callee. */
  readonly local: { sdp: string };
}

/**
 * An INVITE without SDP to the media server's SIP profile, as drachtio-fsmrf makes a 3pcc endpoint:
 * FreeSWITCH offers in its 200, drachtio-srf ACKs with that offer made recvonly, and the callee's
 * answer reaches the channel later by re-INVITE.
 */
export async function createBridgeLeg(server: Mrf.MediaServer): Promise<BridgeLeg> {
  const address = server.sip.ipv4.udp.address;
  if (!address) throw new Error('media server not ready: its SIP address is not known yet');
  const dialog = await server.srf.createUAC(`sip:${BRIDGE_LEG}@${address}`, { headers: { [BRIDGE_LEG_HEADER]: BRIDGE_LEG } });
  return { uuid: dialog.sip.callId, dialog, local: { sdp: dialog.remote.sdp } };
}

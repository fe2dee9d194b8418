import type Mrf from 'drachtio-fsmrf';

/**
 * Events drachtio-fsmrf 4.1.2 subscribes each endpoint's event socket to but never reads: FreeSWITCH
 * sends a CHANNEL_EXECUTE before every application (its CHANNEL_EXECUTE_COMPLETE is what ends a
 * command) and a PLAYBACK_START and _STOP around every file, each with all the channel's variables
 * (7-8 kB of JSON). On a recorded call that was 10 of the 16 such events: serialised by FreeSWITCH and
 * parsed here for nothing.
 */
const UNREAD_EVENTS = 'CHANNEL_EXECUTE PLAYBACK_START PLAYBACK_STOP';

/** The parts of drachtio-modesl's connection used here; drachtio-fsmrf's types do not declare them. */
interface EventSocket {
  socket: { cork(): void; uncork(): void } | null;
  send(command: string, args?: Record<string, unknown>): void;
  sendRecv(command: string): void;
}

/**
 * Makes a new endpoint's event socket cheaper for both ends: unsubscribed from the events nobody reads
 * (see UNREAD_EVENTS), and each command written in one piece. drachtio-modesl writes a command's first
 * line, each header line and the blank line apart: a `sendmsg` (every play, set, record and hang-up)
 * was seven writes, seven system calls here and as many reads and wake-ups in FreeSWITCH.
 */
export function tuneEndpointSocket(endpoint: Mrf.Endpoint): void {
  const conn = (endpoint as unknown as { conn?: EventSocket | null }).conn;
  if (!conn?.socket || typeof conn.send !== 'function') return;
  const send = conn.send;
  conn.send = function sendInOnePiece(this: EventSocket, command, args) {
    const socket = this.socket;
    socket?.cork();
    try {
      send.call(this, command, args);
    } finally {
      socket?.uncork();
    }
  };
  // Queued behind drachtio-fsmrf's own subscription on the same socket, so it takes effect after it.
  conn.sendRecv(`nixevent ${UNREAD_EVENTS}`);
}

import phrases from 'sip-status';

/**
 * A far end's status as drachtio-srf will send it on: its Response#send throws on any status its list
 * (sip-status) does not name, and a throw there, inside drachtio-srf's response handling, ends the
 * process. RFC 3261 §8.1.3.2 and §21: an unknown 1xx is taken as 183 (with a body) or ringing, an
 * unknown final status as the x00 of its class (608 Rejected, RFC 8688, goes on as 600).
 */
export function sendableStatus(status: number, hasBody = false): number {
  if (status in phrases) return status;
  if (status < 200) return hasBody ? 183 : 180;
  const base = Math.floor(status / 100) * 100;
  return base in phrases ? base : 500;
}

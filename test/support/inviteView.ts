import { createRequire } from 'node:module';
import type { InviteView } from '../../src/sip/callSetup.js';

/** drachtio-srf's own SIP message class: what the edge receives, parsed the same way. */
const SipMessage = createRequire(import.meta.url)('drachtio-srf/lib/sip-parser/message.js') as new (raw: string) => InviteView;

/** An INVITE as drachtio-srf hands it to the app, from its Request-URI, header lines and source address. */
export function inviteView(uri: string, headers: Record<string, string>, source = '192.0.2.10'): InviteView {
  const lines = [`INVITE ${uri} SIP/2.0`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), 'Call-ID: view@test', 'CSeq: 1 INVITE', '', ''];
  return Object.assign(new SipMessage(lines.join('\r\n')), { source_address: source });
}

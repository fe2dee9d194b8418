/**
 * The SIP torture test messages of RFC 4475 §3.1 (and the missing-branch INVITE of §3.2.1), adapted to
 * callguard's sample plan (dialplan/): Request-URIs dial our numbers, From users are our extensions,
 * top Vias name the caller's real address so responses come back. Everything that makes a message a
 * torture (line folding, LWS, escaping, odd display names, compact forms, long headers, multipart
 * bodies, the malformations of the invalid ones) is kept.
 *
 * Adaptations beyond numbers and hosts, each so the message reaches the decision it is meant to test:
 *  - every request is an INVITE (callguard routes only INVITE; RFC 4475 used OPTIONS, REGISTER and
 *    MESSAGE where the method did not matter), except mismatch02, whose unknown method is its point;
 *  - To tags are dropped (wsinv, lwsruri): with one the INVITE is a re-INVITE for a dialog nobody has;
 *  - each INVITE has one Contact (RFC 3261 §8.1.1.8), and the RFC's 150-byte SDP offer where a call
 *    is to be connected;
 *  - mpart01's signature part is synthetic bytes below 0x80 with the same hazards (NUL, lone CR and LF,
 *    a blank line, a near-boundary), so the text is the same in a JS string and on the wire;
 *  - the responses (unreason, noreason, scalarlg, bigcode) are what a far end answers callguard's B-leg.
 * Content-Length is computed wherever the RFC means it to be right; clerr and ncl keep their lies.
 *
 * Outcomes follow the sample plan: 4101 (Dr Alice Moreno, DDI +441707284101) calls; 4202, 4201, 4102
 * are extensions (routes.internal); 9 01707 123456 is a national number (routes.external as
 * +441707123456); 9 090 1123 4567 is premium (403 premium-barred); 999, 9999, 112, 9112 are emergency.
 * Invalid requests dial the premium number (so a liberal reading still ends in a 4xx), except where
 * the flaw is one RFC 4475 lets an element read liberally (a To or From display name or addr-spec, a
 * Date, headers escaped in the Request-URI): those dial an emergency number, which DESIGN.md routes
 * "whatever else SIP lets us read".
 */

/** Where the caller sends from and whom it addresses. */
export interface Addressing {
  /** host:port of the caller: the top Via's sent-by and the Contact (responses come back here). */
  caller: string;
  /** host[:port] of callguard in Request-URIs. */
  app: string;
}

export type Route = 'internal' | 'external' | 'emergency';

/** What the plan decides for a request's Request-URI and From. */
export type Outcome =
  | { action: 'routed'; route: Route; /** the B-leg Request-URI user */ user: string; /** the callback (P-Asserted-Identity) an emergency call carries */ callback?: string }
  | { action: 'rejected'; status: 403; reason: 'premium-barred' };

/**
 * What the lab's drachtio-server (v0.9.10, sofia-sip) does with a message, as test/e2e/torture.test.ts
 * finds: passes it to callguard; passes it to drachtio-srf, whose parser cannot read it (it logs that and drops it: the caller
 * has 100 Trying and nothing more); or answers it itself (`null`: drops it without a word).
 */
export type AtDrachtio =
  | { reaches: 'callguard' }
  | { reaches: 'drachtio-srf' }
  | { reaches: 'drachtio-server'; answers: number | null };

const passed: AtDrachtio = { reaches: 'callguard' };
const answered = (status: number | null): AtDrachtio => ({ reaches: 'drachtio-server', answers: status });

export interface TortureRequest {
  /** RFC 4475's name for the message (its file name in the RFC's archive). */
  name: string;
  section: string;
  /** What the message tortures, after RFC 4475. */
  tortures: string;
  /** RFC 4475 §3.1.1 (valid) or §3.1.2 and §3.2.1 (invalid). */
  valid: boolean;
  callId: string;
  /** The decision its Request-URI and From call for, when callguard reads it. */
  outcome: Outcome;
  atDrachtio: AtDrachtio;
  text(at: Addressing): string;
}

/** A request a far end answers (callguard's B-leg INVITE, a BYE), read with drachtio-srf's parsers; `to` carries the far end's tag. */
export interface AnsweredRequest {
  via: string[];
  from: string;
  to: string;
  callId: string;
  cseq: { seq: number; method: string };
  /** The far end's own Contact URI. */
  contact: string;
}

export interface TortureResponse {
  name: string;
  section: string;
  tortures: string;
  valid: boolean;
  text(invite: AnsweredRequest): string;
}

const CRLF = '\r\n';
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const message = (head: string[], body = ''): string => head.join(CRLF) + CRLF + CRLF + body;

/** The offer most of RFC 4475's INVITEs carry (150 bytes with a 9-character address). */
function rfcSdp(origin: string, opts: { connection?: string; t?: string } = {}): string {
  return [
    'v=0',
    `o=mhandley 29739 7272939 IN IP4 ${origin}`,
    's=-',
    `c=IN IP4 ${opts.connection ?? origin}`,
    `t=${opts.t ?? '0 0'}`,
    'm=audio 49217 RTP/AVP 0 12',
    'm=video 3227 RTP/AVP 31',
    'a=rtpmap:31 LPC',
    '',
  ].join(CRLF);
}

const CALLER_DDI = '+441707284101';
const NATIONAL = '901707123456';
const NATIONAL_E164 = '+441707123456';
const PREMIUM = '909011234567';

const premiumBarred: Outcome = { action: 'rejected', status: 403, reason: 'premium-barred' };
const internal = (ext: string): Outcome => ({ action: 'routed', route: 'internal', user: ext });
const external: Outcome = { action: 'routed', route: 'external', user: NATIONAL_E164 };
const emergency = (number: string, callback?: string): Outcome => ({ action: 'routed', route: 'emergency', user: number, ...(callback ? { callback } : {}) });

// -------------------------------------------------------------------------------------------------
// §3.1.1 valid messages

const wsinvSdp = rfcSdp('192.0.2.3', { connection: '192.0.2.4' });

/** An offer beside a text part and a binary part: the B-leg is to be offered the SDP part alone. */
const MPART01_BOUNDARY = '7a9cbec02ceef655';
const mpart01Binary = '0\x00\x01R\x06\t*\x00H\x00\x0d\x01\x07\x02\x00\x0d\n\x0d\x0d\n\r\n\r\n--7a9cbec02ceef65\x00\x1b[0m\x7f\x00\x00\x0d';
const mpart01Body = [
  `--${MPART01_BOUNDARY}`,
  'Content-Type: application/sdp',
  '',
  rfcSdp('192.0.2.1') + `--${MPART01_BOUNDARY}`,
  'Content-Type: text/plain',
  'Content-Transfer-Encoding: binary',
  '',
  'Hello',
  `--${MPART01_BOUNDARY}`,
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: binary',
  '',
  mpart01Binary,
  `--${MPART01_BOUNDARY}--`,
  '',
].join(CRLF);

const LONG = (word: string, times: number): string => word.repeat(times);
const longTo = `"I have a user name of ${LONG('extreme', 10)} proportion"<sip:${PREMIUM}@example.com:6000;unknownparam1=very${LONG('long', 20)}value;longparam${LONG('name', 25)}=shortvalue;very${LONG('long', 25)}ParameterNameWithNoValue>`;
const longFrom = `F: sip:4101@example.net;tag=12${LONG('982', 50)}424;unknownheaderparam${LONG('name', 20)}=unknowheaderparam${LONG('value', 15)};unknownValueless${LONG('paramname', 10)}`;
/** Below ours, RFC 4475's 32 Vias sip32..sip1: every case of the name, the compact form, space before the colon. */
const longVias = Array.from({ length: 32 }, (_, i) => {
  const name = ['v: ', 'V: ', 'Via: ', 'ViA: ', 'VIa: ', 'VIA: ', 'via: ', 'viA: ', 'vIa: ', 'vIA: ', 'V :  ', 'v :  ', 'V  : ', 'v  : ', 'Via : ', 'Via  : '][i] ?? 'Via: ';
  return `${name}SIP/2.0/TCP sip${32 - i}.example.com`;
});

/** The Call-ID of the request dblreq carries as noise after its first one. */
const DBLREQ_NOISE_CALL_ID = 'dblreq.0ha0isnda977644900765@192.0.2.15';

export const VALID_REQUESTS: TortureRequest[] = [
  {
    name: 'wsinv',
    section: '3.1.1.1',
    tortures: 'line folding everywhere, escaped quotes in a display name, LWS around colons and semicolons, an empty Subject, unknown headers and parameters, mixed compact and long names, leading zeros',
    valid: true,
    callId: 'wsinv.ndaksdj@192.0.2.1',
    outcome: internal('4202'),
    // Answered: the folded From and CSeq go back on one line each (src/sip/foldedHeaders.ts).
    atDrachtio: { reaches: 'callguard' },
    text: ({ caller, app }) =>
      message(
        [
          `INVITE sip:4202@${app};unknownparam SIP/2.0`,
          'TO :',
          ` sip:4202@${app} ;   unknownparam    = 1918181833n`,
          String.raw`from   : "J Rosenberg \\\""       <sip:4101@example.com>`,
          '  ;',
          '  tag = 98asjd8',
          'MaX-fOrWaRdS: 0068',
          'Call-ID: wsinv.ndaksdj@192.0.2.1',
          `Content-Length   : ${bytes(wsinvSdp)}`,
          'cseq: 0009',
          '  INVITE',
          'Via  : SIP  /   2.0',
          ' /UDP',
          `    ${caller};branch=390skdjuw`,
          's :',
          'NewFangledHeader:   newfangled value',
          ' continued newfangled value',
          'UnknownHeaderWithUnusualValue: ;;,,;;,;',
          'Content-Type: application/sdp',
          'Route:',
          ' <sip:services.example.com;lr;unknownwith=value;unknown-no-value>',
          'v:  SIP  / 2.0  / TCP     spindle.example.com   ;',
          '  branch  =   z9hG4bK9ikj8  ,',
          ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
          ' z9hG4bK30239',
          String.raw`m:"Quoted string \"\"" <sip:4101@${caller}> ; newparam =`,
          '      newvalue ;',
          '  secondparam ; q = 0.33',
        ],
        wsinvSdp,
      ),
  },
  {
    name: 'intmeth',
    section: '3.1.1.2',
    tortures: 'every character the grammar allows in a Request-URI user and password, a Via branch, a token display name, header parameters, a Call-ID and an extension header name; BEL, NUL and DEL escaped in a quoted string; UTF-8 in a quoted parameter and a header value',
    valid: true,
    callId: 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{',
    outcome: external,
    atDrachtio: answered(400),
    text: ({ caller, app }) => {
      const user = `${NATIONAL};unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*`;
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:${user}:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@${app} SIP/2.0`,
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bK-.!%66*_+\`'~`,
          `To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:${user}@${app}>`,
          'From: token1~` token2\'+_ token3*%!.- <sip:4101@example.com> ;fromParam\'\'~+*_!.-%="работающий";tag=_token~1\'+`*%!-.',
          'Call-ID: intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{',
          'CSeq: 139122385 INVITE',
          'Max-Forwards: 255',
          'extensionHeader-!.%*+_`\'~:\ufeff大停電',
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'esc01',
    section: '3.1.1.3',
    tortures: 'escaped characters in the Request-URI, To and From users (equal to their unescaped forms) and in Contact parameter names and values; compact i: and C:',
    valid: true,
    callId: 'esc01.239409asdfakjkn23onasd0-3234',
    outcome: emergency('999', CALLER_DDI),
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:%39%399@${app} SIP/2.0`,
          `To: sip:%39%39%39@${app}`,
          'From: <sip:%34%31%30%31@example.net>;tag=938',
          'Max-Forwards: 87',
          'i: esc01.239409asdfakjkn23onasd0-3234',
          'CSeq: 234234 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          'C: application/sdp',
          'Contact:',
          `  <sip:cal%6Cer@${caller};%6C%72;n%61me=v%61lue%25%34%31>`,
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'escnull',
    section: '3.1.1.4',
    tortures: 'escaped NULs (%00) in the To user, a From user parameter and the Contact user; L:0 without a space',
    valid: true,
    callId: 'escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd',
    outcome: premiumBarred,
    atDrachtio: passed,
    text: ({ caller, app }) =>
      message([
        `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
        `To: sip:null-%00-null@${app}`,
        'From: <sip:4101;null-%00-null@example.com>;tag=839923423',
        'Max-Forwards: 70',
        'Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd',
        'CSeq: 14398234 INVITE',
        `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
        `Contact: <sip:%00@${caller}>`,
        'L:0',
      ]),
  },
  {
    name: 'esc02',
    section: '3.1.1.5',
    tortures: '% that is not an escape: in quoted display names ("%Z%45"), a Via branch, and a header name (C%6Fntact is not Contact)',
    valid: true,
    callId: 'esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf',
    outcome: internal('4201'),
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:4201@${app} SIP/2.0`,
          `To: "%Z%45" <sip:4201@${app}>`,
          'From: "%Z%45" <sip:4101@example.com>;tag=f232jadfj23',
          'Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bK209%fzsnel234`,
          'CSeq: 29344 INVITE',
          'Max-Forwards: 70',
          `Contact: <sip:4101@${caller}>`,
          'C%6Fntact: <sip:alias2@host2.example.com>',
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'lwsdisp',
    section: '3.1.1.6',
    tortures: 'no LWS between a display name and its <',
    valid: true,
    callId: 'lwsdisp.1234abcd@funky.example.com',
    outcome: external,
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:${NATIONAL}@${app} SIP/2.0`,
          `To: sip:${NATIONAL}@${app}`,
          'From: caller<sip:4101@example.com>;tag=323',
          'Max-Forwards: 70',
          'Call-ID: lwsdisp.1234abcd@funky.example.com',
          'CSeq: 60 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          `Contact: caller<sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'longreq',
    section: '3.1.1.7',
    tortures: 'very long values: a display name, URI parameters, a tag, header parameter names and values, a Call-ID, an unknown header, 34 Vias (in every case of the name and the compact form, with spaces before the colon), a branch, a Contact user',
    valid: true,
    callId: `longreq.one${LONG('really', 20)}longcallid`,
    outcome: premiumBarred,
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
          `To: ${longTo}`,
          longFrom,
          `Call-ID: longreq.one${LONG('really', 20)}longcallid`,
          'CSeq: 3882340 INVITE',
          `Unknown-${LONG('Long', 20)}-Name: unknown-${LONG('long', 20)}-value; unknown-${LONG('long', 20)}-parameter-name = unknown-${LONG('long', 20)}-parameter-value`,
          `Via: SIP/2.0/UDP ${caller}`,
          ...longVias,
          `Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very${LONG('long', 50)}branchvalue`,
          'Max-Forwards: 70',
          `Contact: <sip:${LONG('amazinglylongcallername', 5)}@${caller}>`,
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'dblreq',
    section: '3.1.1.8',
    tortures: 'a second request after the first one\'s body in the same datagram: noise the stack must ignore (RFC 3261 §18.3)',
    valid: true,
    callId: 'dblreq.0ha0isndaksdj99sdfafnl3lk233412',
    outcome: internal('4202'),
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      const noiseSdp = rfcSdp('192.0.2.15').replace('m=video', 'm =video');
      return message(
        [
          `INVITE sip:4202@${app} SIP/2.0`,
          `To: sip:4202@${app}`,
          'From: sip:4101@example.com;tag=43251j3j324',
          'Max-Forwards: 8',
          'I: dblreq.0ha0isndaksdj99sdfafnl3lk233412',
          `Contact: sip:4101@${caller}`,
          'CSeq: 8 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw23492`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp +
          message(
            [
              `INVITE sip:4102@${app} SIP/2.0`,
              `t: sip:4102@${app}`,
              'From: sip:4101@example.net;tag=141334',
              'Max-Forwards: 8',
              `Call-ID: ${DBLREQ_NOISE_CALL_ID}`,
              'CSeq: 8 INVITE',
              'Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234',
              'Content-Type: application/sdp',
              `Content-Length: ${bytes(noiseSdp)}`,
            ],
            noiseSdp,
          ),
      );
    },
  },
  {
    name: 'semiuri',
    section: '3.1.1.9',
    tortures: 'a semicolon-separated parameter in the Request-URI user part, with an escaped @; a header value folded over three lines',
    valid: true,
    callId: 'semiuri.0ha0isndaksdj',
    outcome: emergency('999', CALLER_DDI),
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:999;par=u%40example.net@${app} SIP/2.0`,
          `To: sip:999@${app}`,
          'From: sip:4101@example.org;tag=33242',
          'Max-Forwards: 3',
          'Call-ID: semiuri.0ha0isndaksdj',
          'CSeq: 8 INVITE',
          'Accept: application/sdp, application/pkcs7-mime,',
          '        multipart/mixed, multipart/signed,',
          '        message/sip, message/sipfrag',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'transports',
    section: '3.1.1.10',
    tortures: 'Vias with SCTP, TLS, an unknown transport and TCP below ours; two spaces after Call-ID:',
    valid: true,
    callId: 'transports.kijh4akdnaqjkwendsasfdj',
    outcome: internal('4102'),
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:4102@${app} SIP/2.0`,
          `To: sip:4102@${app}`,
          'From: <sip:4101@example.com>;tag=323',
          'Max-Forwards: 70',
          'Call-ID:  transports.kijh4akdnaqjkwendsasfdj',
          'Accept: application/sdp',
          'CSeq: 60 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          'Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf',
          'Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj',
          'Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en',
          'Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee',
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'mpart01',
    section: '3.1.1.11',
    tortures: 'a multipart/mixed body with a binary part holding NULs, lone CRs and LFs and a blank line; an Identity header, a Route, Content-Transfer-Encoding: binary',
    valid: true,
    callId: '3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..',
    outcome: external,
    atDrachtio: answered(400),
    text: ({ caller, app }) =>
      message(
        [
          `INVITE sip:${NATIONAL}@${app} SIP/2.0`,
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport`,
          'Max-Forwards: 70',
          'Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=',
          `Contact: <sip:4101@${caller}>`,
          `To: <sip:${NATIONAL}@${app}>`,
          'From: <sip:4101@example.com>;tag=2fb0dcc9',
          'Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..',
          'CSeq: 1 INVITE',
          'Content-Transfer-Encoding: binary',
          `Content-Type: multipart/mixed;boundary=${MPART01_BOUNDARY}`,
          'Date: Sat, 15 Oct 2005 04:44:56 GMT',
          'User-Agent: SIPimp.org/0.2.5 (curses)',
          `Content-Length: ${bytes(mpart01Body)}`,
        ],
        mpart01Body,
      ),
  },
];

// -------------------------------------------------------------------------------------------------
// §3.1.2 invalid messages (and §3.2.1)

export const INVALID_REQUESTS: TortureRequest[] = [
  {
    name: 'badinv01',
    section: '3.1.2.1',
    tortures: 'extraneous separators in a Via (;;,;,,) and after a Contact (;;;;)',
    valid: false,
    callId: 'badinv01.0ha0isndaksdjasdf3234nas',
    outcome: premiumBarred,
    atDrachtio: answered(null),
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.15');
      return message(
        [
          `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
          `To: sip:${PREMIUM}@${app}`,
          'From: sip:4101@example.net;tag=134161461246',
          'Max-Forwards: 7',
          'Call-ID: badinv01.0ha0isndaksdjasdf3234nas',
          'CSeq: 8 INVITE',
          `Via: SIP/2.0/UDP ${caller};;,;,,`,
          `Contact: "Joe" <sip:4101@${caller}>;;;;`,
          `Content-Length: ${bytes(sdp)}`,
          'Content-Type: application/sdp',
        ],
        sdp,
      );
    },
  },
  {
    name: 'clerr',
    section: '3.1.2.2',
    tortures: 'Content-Length (9999) larger than the datagram',
    valid: false,
    callId: 'clerr.0ha0isndaksdjweiafasdk3',
    outcome: premiumBarred,
    atDrachtio: answered(400),
    text: ({ caller, app }) =>
      message(
        [
          `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
          'Max-Forwards: 80',
          `To: sip:${PREMIUM}@${app}`,
          'From: sip:4101@example.net;tag=93942939o2',
          `Contact: <sip:4101@${caller}>`,
          'Call-ID: clerr.0ha0isndaksdjweiafasdk3',
          'CSeq: 8 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bK-39234-23523`,
          'Content-Type: application/sdp',
          'Content-Length: 9999',
        ],
        rfcSdp('192.0.2.155'),
      ),
  },
  {
    name: 'ncl',
    section: '3.1.2.3',
    tortures: 'a negative Content-Length (-999)',
    valid: false,
    callId: 'ncl.0ha0isndaksdj2193423r542w35',
    outcome: premiumBarred,
    atDrachtio: answered(400),
    text: ({ caller, app }) =>
      message(
        [
          `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
          'Max-Forwards: 254',
          `To: sip:${PREMIUM}@${app}`,
          'From: sip:4101@example.net;tag=32394234',
          'Call-ID: ncl.0ha0isndaksdj2193423r542w35',
          'CSeq: 0 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          'Content-Length: -999',
        ],
        rfcSdp('192.0.2.53'),
      ),
  },
  {
    name: 'scalar02',
    section: '3.1.2.4',
    tortures: 'scalars past every limit: CSeq 2^65, Max-Forwards 300, a 100-digit Expires, an expires parameter on a folded Contact',
    valid: false,
    callId: 'scalar02.23o0pd9vanlq3wnrlnewofjas9ui32',
    outcome: premiumBarred,
    atDrachtio: answered(400),
    text: ({ caller, app }) =>
      message([
        `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
        `Via: SIP/2.0/UDP ${caller};branch=z9hG4bK342sdfoi3`,
        `To: <sip:${PREMIUM}@${app}>`,
        'From: <sip:4101@example.com>;tag=239232jh3',
        'CSeq: 36893488147419103232 INVITE',
        'Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32',
        'Max-Forwards: 300',
        `Expires: 1${'0'.repeat(100)}`,
        `Contact: <sip:4101@${caller}>`,
        '  ;expires=280297596632815',
        'Content-Length: 0',
      ]),
  },
  {
    name: 'quotbal',
    section: '3.1.2.6',
    tortures: 'an unterminated quoted string in the To display name',
    valid: false,
    callId: 'quotbal.aksdj',
    outcome: emergency('999'),
    atDrachtio: answered(400),
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.15');
      return message(
        [
          `INVITE sip:999@${app} SIP/2.0`,
          `To: "Mr. J. User <sip:999@${app}>`,
          'From: sip:4101@example.net;tag=93334',
          'Max-Forwards: 10',
          'Call-ID: quotbal.aksdj',
          `Contact: <sip:4101@${caller}>`,
          'CSeq: 8 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw39234`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'ltgtruri',
    section: '3.1.2.7',
    tortures: 'the Request-URI enclosed in <>',
    valid: false,
    callId: 'ltgtruri.1@192.0.2.5',
    outcome: premiumBarred,
    atDrachtio: answered(400),
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.5', { t: '3149328700 0' });
      return message(
        [
          `INVITE <sip:${PREMIUM}@${app}> SIP/2.0`,
          `To: sip:${PREMIUM}@${app}`,
          'From: sip:4101@example.net;tag=39291',
          'Max-Forwards: 23',
          'Call-ID: ltgtruri.1@192.0.2.5',
          'CSeq: 1 INVITE',
          `Via: SIP/2.0/UDP ${caller}`,
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'lwsruri',
    section: '3.1.2.8',
    tortures: 'LWS inside the Request-URI (before a parameter)',
    valid: false,
    callId: 'lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423',
    outcome: premiumBarred,
    atDrachtio: answered(null),
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1', { t: '3149328700 0' });
      return message(
        [
          `INVITE sip:${PREMIUM}@${app}; lr SIP/2.0`,
          `To: sip:${PREMIUM}@${app}`,
          'From: sip:4101@example.net;tag=231413434',
          'Max-Forwards: 5',
          'Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423',
          'CSeq: 2130706432 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw2395`,
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'lwsstart',
    section: '3.1.2.9',
    tortures: 'two spaces between the Request-Line\'s elements',
    valid: false,
    callId: 'lwsstart.dfknq234oi243099adsdfnawe3@example.com',
    outcome: premiumBarred,
    atDrachtio: { reaches: 'drachtio-srf' },
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE  sip:${PREMIUM}@${app}  SIP/2.0`,
          'Max-Forwards: 8',
          `To: sip:${PREMIUM}@${app}`,
          'From: sip:4101@example.net;tag=8814',
          'Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com',
          'CSeq: 1893884 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw3923`,
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'trws',
    section: '3.1.2.10',
    tortures: 'spaces after SIP/2.0 at the end of the Request-Line',
    valid: false,
    callId: 'trws.oicu34958239neffasdhr2345r',
    outcome: premiumBarred,
    atDrachtio: passed,
    text: ({ caller, app }) =>
      message([
        `INVITE sip:${PREMIUM}@${app} SIP/2.0  `,
        `Via: SIP/2.0/UDP ${caller};branch=z9hG4bK299342093`,
        `To: <sip:${PREMIUM}@${app}>`,
        'From: <sip:4101@example.com>;tag=329429089',
        'Call-ID: trws.oicu34958239neffasdhr2345r',
        'Accept: application/sdp',
        'CSeq: 238923 INVITE',
        'Max-Forwards: 70',
        `Contact: <sip:4101@${caller}>`,
        'Content-Length: 0',
      ]),
  },
  {
    name: 'escruri',
    section: '3.1.2.11',
    tortures: 'an escaped Route header in the Request-URI (which must never become a Route, nor reach a forwarded Request-URI)',
    valid: false,
    callId: 'escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5',
    outcome: emergency('999', CALLER_DDI),
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:999@${app}?Route=%3Csip:example.com%3E SIP/2.0`,
          `To: sip:999@${app}`,
          'From: sip:4101@example.net;tag=341518',
          'Max-Forwards: 7',
          `Contact: <sip:4101@${caller}>`,
          'Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5',
          'CSeq: 149209342 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'baddate',
    section: '3.1.2.12',
    tortures: 'a Date in a time zone other than GMT',
    valid: false,
    callId: 'baddate.239423mnsadf3j23lj42--sedfnm234',
    outcome: emergency('112', CALLER_DDI),
    atDrachtio: answered(400),
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.5');
      return message(
        [
          `INVITE sip:9112@${app} SIP/2.0`,
          `To: sip:9112@${app}`,
          'From: sip:4101@example.net;tag=2234923',
          'Max-Forwards: 70',
          'Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234',
          'CSeq: 1392934 INVITE',
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          'Date: Fri, 01 Jan 2010 16:00:00 EST',
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `Content-Length: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'regbadct',
    section: '3.1.2.13',
    tortures: 'a Contact URI with a header part (?Route=...) not enclosed in <>',
    valid: false,
    callId: 'regbadct.k345asrl3fdbv@10.0.0.1',
    outcome: premiumBarred,
    atDrachtio: answered(400),
    text: ({ caller, app }) =>
      message([
        `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
        `To: sip:${PREMIUM}@${app}`,
        'From: sip:4101@example.com;tag=998332',
        'Max-Forwards: 70',
        'Call-ID: regbadct.k345asrl3fdbv@10.0.0.1',
        'CSeq: 1 INVITE',
        `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
        `Contact: sip:4101@${caller}?Route=%3Csip:sip.example.com%3E`,
        'l: 0',
      ]),
  },
  {
    name: 'badaspec',
    section: '3.1.2.14',
    tortures: 'spaces inside the <> of the To addr-spec; a quoted display name with a comma',
    valid: false,
    callId: 'badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3',
    outcome: emergency('112', CALLER_DDI),
    atDrachtio: passed,
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:112@${app} SIP/2.0`,
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdju43234`,
          'Max-Forwards: 70',
          'From: "Bell, Alexander" <sip:4101@example.com>;tag=433423',
          `To: "Watson, Thomas" < sip:112@${app} >`,
          'Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3',
          'Accept: application/sdp',
          'CSeq: 3923239 INVITE',
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'baddn',
    section: '3.1.2.15',
    tortures: 'unquoted display names with non-token characters (a comma, a dot) in From and To',
    valid: false,
    callId: 'baddn.31415@c.example.com',
    outcome: emergency('999'),
    atDrachtio: answered(400),
    text: ({ caller, app }) => {
      const sdp = rfcSdp('192.0.2.1');
      return message(
        [
          `INVITE sip:999@${app} SIP/2.0`,
          `Via:     SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          'Max-Forwards:      70',
          'From:    Bell, Alexander <sip:4101@example.com>;tag=43',
          `To:      Watson, Thomas <sip:999@${app}>`,
          'Call-ID: baddn.31415@c.example.com',
          'Accept: application/sdp',
          'CSeq:    3923239 INVITE',
          `Contact: <sip:4101@${caller}>`,
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'badvers',
    section: '3.1.2.16',
    tortures: 'an unknown protocol version (SIP/7.0) in the Request-Line and the Via',
    valid: false,
    callId: 'badvers.31417@c.example.com',
    outcome: premiumBarred,
    atDrachtio: answered(505),
    text: ({ caller, app }) =>
      message([
        `INVITE sip:${PREMIUM}@${app} SIP/7.0`,
        `Via:     SIP/7.0/UDP ${caller};branch=z9hG4bKkdjuw`,
        'Max-Forwards:     70',
        'From:    A. Bell <sip:4101@example.com>;tag=qweoiqpe',
        `To:      T. Watson <sip:${PREMIUM}@${app}>`,
        'Call-ID: badvers.31417@c.example.com',
        'CSeq:    1 INVITE',
        `Contact: <sip:4101@${caller}>`,
        'l: 0',
      ]),
  },
  {
    name: 'mismatch01',
    section: '3.1.2.17',
    tortures: 'the CSeq method (OPTIONS) differs from the Request-Line\'s (INVITE)',
    valid: false,
    callId: 'mismatch01.dj0234sxdfl3',
    outcome: premiumBarred,
    atDrachtio: answered(400),
    text: ({ caller, app }) =>
      message([
        `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
        `To: sip:${PREMIUM}@${app}`,
        'From: sip:4101@example.net;tag=34525',
        'Max-Forwards: 6',
        'Call-ID: mismatch01.dj0234sxdfl3',
        'CSeq: 8 OPTIONS',
        `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
        `Contact: <sip:4101@${caller}>`,
        'l: 0',
      ]),
  },
  {
    name: 'mismatch02',
    section: '3.1.2.18',
    tortures: 'an unknown method (NEWMETHOD) whose CSeq says INVITE',
    valid: false,
    callId: 'mismatch02.dj0234sxdfl3',
    outcome: premiumBarred,
    atDrachtio: answered(400),
    text: ({ caller, app }) => {
      const sdp = ['v=0', 'o=mhandley 29739 7272939 IN IP4 192.0.2.1', 'c=IN IP4 192.0.2.1', 'm=audio 49217 RTP/AVP 0 12', 'm=video 3227 RTP/AVP 31', 'a=rtpmap:31 LPC', ''].join(CRLF);
      return message(
        [
          `NEWMETHOD sip:${PREMIUM}@${app} SIP/2.0`,
          `To: sip:${PREMIUM}@${app}`,
          'From: sip:4101@example.net;tag=34525',
          'Max-Forwards: 6',
          'Call-ID: mismatch02.dj0234sxdfl3',
          'CSeq: 8 INVITE',
          `Contact: <sip:4101@${caller}>`,
          `Via: SIP/2.0/UDP ${caller};branch=z9hG4bKkdjuw`,
          'Content-Type: application/sdp',
          `l: ${bytes(sdp)}`,
        ],
        sdp,
      );
    },
  },
  {
    name: 'badbranch',
    section: '3.2.1',
    tortures: 'a Via branch that is the bare magic cookie (z9hG4bK): no transaction identifier',
    valid: false,
    callId: 'badbranch.sadonfo23i420jv0as0derf3j3n',
    outcome: premiumBarred,
    atDrachtio: passed,
    text: ({ caller, app }) =>
      message([
        `INVITE sip:${PREMIUM}@${app} SIP/2.0`,
        `To: sip:${PREMIUM}@${app}`,
        'From: sip:4101@example.org;tag=33242',
        'Max-Forwards: 3',
        `Via: SIP/2.0/UDP ${caller};branch=z9hG4bK`,
        'Accept: application/sdp',
        'Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n',
        'CSeq: 8 INVITE',
        `Contact: <sip:4101@${caller}>`,
        'l: 0',
      ]),
  },
];

// -------------------------------------------------------------------------------------------------
// Responses a far end sends to callguard's B-leg

/** A response's start line and the headers it copies from the request (RFC 3261 §8.2.6.2). */
export const responseHead = (statusLine: string, invite: AnsweredRequest, seq: number | string = invite.cseq.seq): string[] => [
  statusLine,
  ...invite.via.map((v) => `Via: ${v}`),
  `Call-ID: ${invite.callId}`,
  `CSeq: ${seq} ${invite.cseq.method}`,
  `From: ${invite.from}`,
  `To: ${invite.to}`,
];

const unreasonSdp = rfcSdp('192.0.2.198');

export const UNREASON_PHRASE = '= 2**3 * 5**2 но сто девяносто девять - простое';

export const RESPONSES: Record<'noreason' | 'unreason' | 'bigcode' | 'scalarlg', TortureResponse> = {
  noreason: {
    name: 'noreason',
    section: '3.1.1.13',
    tortures: 'a status line with no reason phrase (ends in a space)',
    valid: true,
    text: (invite) => message([...responseHead('SIP/2.0 100 ', invite), 'Content-Length: 0']),
  },
  unreason: {
    name: 'unreason',
    section: '3.1.1.12',
    tortures: 'a reason phrase of UTF-8 and punctuation',
    valid: true,
    text: (invite) =>
      message(
        [...responseHead(`SIP/2.0 200 ${UNREASON_PHRASE}`, invite), `Content-Length: ${bytes(unreasonSdp)}`, 'Content-Type: application/sdp', `Contact: <${invite.contact}>`],
        unreasonSdp,
      ),
  },
  bigcode: {
    name: 'bigcode',
    section: '3.1.2.19',
    tortures: 'a status code of 4294967301 (2^32 + 5)',
    valid: false,
    text: (invite) => message([...responseHead('SIP/2.0 4294967301 better not break the receiver', invite), 'Content-Length: 0', `Contact: <${invite.contact}>`]),
  },
  scalarlg: {
    name: 'scalarlg',
    section: '3.1.2.5',
    tortures: 'a 503 whose CSeq (2^73-ish) and Retry-After are past every limit, and a four-digit warn-code',
    valid: false,
    text: (invite) =>
      message([
        ...responseHead('SIP/2.0 503 Service Unavailable', invite, '9292394834772304023312'),
        'Retry-After: 949302838503028349304023988',
        'Warning: 1812 overture "In Progress"',
        'Content-Length: 0',
      ]),
  },
};

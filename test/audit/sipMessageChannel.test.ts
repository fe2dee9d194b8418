/**
 * The Security alert's SIP MESSAGE goes to Security Control's target and, when that phone does not take
 * it, on to each failover in turn, as a call to Security would: a desk phone switched off, or not
 * registered at the PBX, must not leave every MESSAGE unread.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sipMessageChannel, type SendSipMessage } from '../../src/audit/alertChannels.js';
import type { SecurityAlert } from '../../src/audit/securityAlert.js';

const ALERT: SecurityAlert = { kind: 'emergency', ext: '4101', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: '2026-11-23T20:00:00.000Z', callId: 'c1' };
const DESK = 'sip:2222@pbx.example';
const FAILOVER = 'sip:2223@pbx.example';
const MOBILE = 'sip:+447700900123@trunk.example';
/** Short, so that a silent phone is given up quickly here; nothing asserts on time. */
const ANSWER_MS = 50;

type Answer = number | 'silent' | Error;

/** A MESSAGE sender whose phones answer as scripted; it keeps what was sent to whom. */
function phones(answers: Record<string, Answer>) {
  const sent: Array<{ uri: string; body: string }> = [];
  const send: SendSipMessage = async (uri, _headers, body) => {
    sent.push({ uri, body });
    const answer = answers[uri] ?? 200;
    if (answer === 'silent') return new Promise<number>(() => {});
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { sent, send };
}

function logged() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

describe("the Security alert's MESSAGE", () => {
  it('goes to Security Control’s target alone when that phone takes it', async () => {
    const { sent, send } = phones({});
    const { lines, logger } = logged();
    await sipMessageChannel(() => [DESK, FAILOVER], send, logger, ANSWER_MS).deliver(ALERT);
    expect(sent.map((s) => s.uri)).toEqual([DESK]);
    expect(sent[0]!.body).toMatch(/^EMERGENCY 999\r\n/);
    expect(lines).toEqual([]);
  });

  it('goes on to the failover when the desk is not registered (480), and the log says the desk did not take it', async () => {
    const { sent, send } = phones({ [DESK]: 480 });
    const { lines, logger } = logged();
    await sipMessageChannel(() => [DESK, FAILOVER, MOBILE], send, logger, ANSWER_MS).deliver(ALERT);
    expect(sent.map((s) => s.uri)).toEqual([DESK, FAILOVER]);
    expect(sent[1]!.body).toBe(sent[0]!.body);
    expect(lines).toEqual([expect.objectContaining({ msg: "security alert MESSAGE taken by a failover: Security Control's target did not take it", to: FAILOVER, missed: [`${DESK} answered 480`], callId: 'c1' })]);
  });

  it('goes on when a phone sends nothing at all (switched off), and when it cannot be sent', async () => {
    const { sent, send } = phones({ [DESK]: 'silent', [FAILOVER]: new Error('drachtio-server not connected') });
    const { lines, logger } = logged();
    await sipMessageChannel(() => [DESK, FAILOVER, MOBILE], send, logger, ANSWER_MS).deliver(ALERT);
    expect(sent.map((s) => s.uri)).toEqual([DESK, FAILOVER, MOBILE]);
    expect(lines[0]!.missed).toEqual([`${DESK} no answer in 0.05 s`, `${FAILOVER} not sent: drachtio-server not connected`]);
  });

  it('fails, saying why for each phone, when none takes it: the dispatcher retries it and then keeps it in the outbox', async () => {
    const { sent, send } = phones({ [DESK]: 404, [FAILOVER]: 503 });
    const { logger } = logged();
    await expect(sipMessageChannel(() => [DESK, FAILOVER], send, logger, ANSWER_MS).deliver(ALERT)).rejects.toThrow(`MESSAGE not taken: ${DESK} answered 404; ${FAILOVER} answered 503`);
    expect(sent).toHaveLength(2);
  });
});

/**
 * The call-out (site.security.callOut) with a scripted phone: who is phoned and when, the bound on
 * attempts for a phone that does not take the call, what is raised after an acknowledgement or none,
 * and that neither the alert nor the call ever waits for it.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../src/audit/alertDispatcher.js';
import { CallOut, type CallOutAttempt, type CallOutOutcome, type PhoneCall } from '../../src/audit/callOut.js';
import type { SecurityAlert } from '../../src/audit/securityAlert.js';
import type { Plan } from '../../src/policy/plan.js';
import { until } from '../support/edgeFixture.js';

const ALERT: SecurityAlert = { kind: 'emergency', ext: '4101', name: 'Dr Alice Moreno', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: '2026-11-23T20:00:00.000Z', callId: 'c1' };
const ACK_AT = Date.parse('2026-11-23T20:00:41.000Z');

function planWith(callOut: string[]): Plan {
  return { site: { security: { callOut, email: [] } } } as unknown as Plan;
}

type Script = (call: PhoneCall, attempt: number) => CallOutAttempt | Promise<CallOutAttempt>;

function harness(responders: string[], script: Script, retryDelaysMs = [5, 10]) {
  const calls: Array<{ responder: string; attempt: number }> = [];
  const raised: SecurityAlert[] = [];
  const outcomes: CallOutOutcome[] = [];
  const released: string[] = [];
  const attempts = new Map<string, number>();
  const callOut = new CallOut({
    plan: () => planWith(responders),
    phone: async (call) => {
      const attempt = (attempts.get(call.responder) ?? 0) + 1;
      attempts.set(call.responder, attempt);
      calls.push({ responder: call.responder, attempt });
      return script(call, attempt);
    },
    message: async (alert) => ({ file: `/tmp/${alert.callId}.wav`, release: async () => void released.push(alert.callId) }),
    raise: (alert) => raised.push(alert),
    logger: pino({ level: 'silent' }),
    outcome: (o) => outcomes.push(o),
    retryDelaysMs,
  });
  return { callOut, calls, raised, outcomes, released };
}

let open: CallOut[] = [];
afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
});

describe('call-out', () => {
  it('phones every responder at once; a 1 is raised as an acknowledgement by that responder, at the time it was pressed', async () => {
    const h = harness(['4190', '+447700900123'], (call) => (call.responder === '4190' ? { kind: 'acknowledged', at: ACK_AT } : { kind: 'hung-up' }));
    open.push(h.callOut);
    h.callOut.follow(ALERT);
    await until('the call-out to end', () => h.released.length === 1);
    expect(h.calls).toEqual([
      { responder: '4190', attempt: 1 },
      { responder: '+447700900123', attempt: 1 },
    ]);
    expect(h.raised).toEqual([{ ...ALERT, note: undefined, callOutAck: { by: '4190', at: '2026-11-23T20:00:41.000Z' } }]);
    expect(h.outcomes.sort()).toEqual(['acknowledged', 'hung-up']);
  });

  it('a phone that does not take the call is tried three times in all, then counted unanswered; with no acknowledgement that is raised', async () => {
    const h = harness(['4190'], () => ({ kind: 'unanswered', why: 'answered 486' }));
    open.push(h.callOut);
    h.callOut.follow(ALERT);
    await until('the call-out to end', () => h.released.length === 1);
    expect(h.calls).toEqual([1, 2, 3].map((attempt) => ({ responder: '4190', attempt })));
    expect(h.outcomes).toEqual(['unanswered']);
    expect(h.raised).toHaveLength(1);
    expect(h.raised[0]!.note).toBe('call-out failed: no responder acknowledged (4190 not answered (answered 486))');
    expect(h.raised[0]!.callOutAck).toBeUndefined();
  });

  it('our own side failing (no media server) is retried within the same bound; a later answer ends the retries', async () => {
    const h = harness(['4190', '4191'], (call, attempt) =>
      call.responder === '4190' ? { kind: 'failed', why: 'no media server connected' } : attempt < 2 ? { kind: 'failed', why: 'no media server connected' } : { kind: 'acknowledged', at: ACK_AT },
    );
    open.push(h.callOut);
    h.callOut.follow(ALERT);
    await until('the call-out to end', () => h.released.length === 1);
    expect(h.calls.filter((c) => c.responder === '4190')).toHaveLength(3);
    expect(h.calls.filter((c) => c.responder === '4191')).toHaveLength(2);
    expect(h.outcomes.sort()).toEqual(['acknowledged', 'failed']);
    // One responder acknowledged: no "nobody acknowledged" follow-up.
    expect(h.raised.map((a) => a.callOutAck?.by ?? a.note)).toEqual(['4191']);
  });

  it('a responder who answered and hung up, or never pressed 1, is not phoned again', async () => {
    const h = harness(['4190', '4191'], (call) => (call.responder === '4190' ? { kind: 'hung-up' } : { kind: 'unacknowledged' }));
    open.push(h.callOut);
    h.callOut.follow(ALERT);
    await until('the call-out to end', () => h.released.length === 1);
    expect(h.calls).toHaveLength(2);
    expect(h.raised[0]!.note).toBe('call-out failed: no responder acknowledged (4190 hung up without acknowledging; 4191 answered but never pressed 1)');
  });

  it('starts once per emergency call: follow-up alerts of that call, other kinds and an empty list start none', async () => {
    const h = harness(['4190'], () => ({ kind: 'hung-up' }));
    open.push(h.callOut);
    h.callOut.follow(ALERT);
    h.callOut.follow({ ...ALERT, note: 'emergency trunk answered 503; routed via the public trunk' });
    h.callOut.follow({ ...ALERT, kind: 'hotline', callId: 'c2' });
    h.callOut.follow({ ...ALERT, kind: 'pin-lockout', callId: 'c3' });
    await until('the call-out to end', () => h.released.length === 1);
    expect(h.calls).toEqual([{ responder: '4190', attempt: 1 }]);
    const none = harness([], () => ({ kind: 'hung-up' }));
    none.callOut.follow(ALERT);
    expect(none.calls).toEqual([]);
  });

  it('is never waited for: the dispatcher returns while the responder still rings, and a follower that throws breaks nothing', async () => {
    let answer: (a: CallOutAttempt) => void = () => {};
    const h = harness(['4190'], () => new Promise<CallOutAttempt>((resolve) => (answer = resolve)));
    open.push(h.callOut);
    const delivered: string[] = [];
    const dispatcher = new AlertDispatcher([{ name: 'console', deliver: async (a) => void delivered.push(a.callId) }], pino({ level: 'silent' }), { sent: () => {}, failed: () => {} });
    dispatcher.follow(() => {
      throw new Error('broken follower');
    });
    dispatcher.follow(h.callOut.follow);
    await dispatcher.sendAndSettle(ALERT);
    expect(delivered).toEqual(['c1']);
    expect(h.calls).toHaveLength(1);
    expect(h.outcomes).toEqual([]);
    answer({ kind: 'acknowledged', at: ACK_AT });
    await until('the acknowledgement', () => h.outcomes.length === 1);
  });

  it('close cancels what is ringing and drops the retries still to come', async () => {
    const signals: AbortSignal[] = [];
    const h = harness(
      ['4190'],
      (call) => {
        signals.push(call.signal);
        return { kind: 'unanswered', why: 'no answer within 30 s' };
      },
      [60_000, 60_000],
    );
    h.callOut.follow(ALERT);
    await until('the first attempt', () => signals.length === 1);
    await h.callOut.close();
    expect(signals[0]!.aborted).toBe(true);
    expect(h.calls).toHaveLength(1);
    expect(h.outcomes).toEqual(['unanswered']);
    expect(h.raised).toEqual([]);
    h.callOut.follow({ ...ALERT, callId: 'c9' });
    expect(h.calls).toHaveLength(1);
  });
});

import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logDecision } from '../../src/audit/decisionLog.js';
import { decisionRecord } from '../../src/audit/decisionRecord.js';
import { NEVER_LOGGED_OPTIONS } from '../../src/audit/neverLogged.js';
import { decide, type Call } from '../../src/policy/decide.js';
import { LOCKED_PHONE } from '../../src/policy/phoneState.js';
import type { Plan } from '../../src/policy/plan.js';
import { samplePlan } from '../support/plans.js';

let plan: Plan;
beforeAll(async () => {
  plan = await samplePlan();
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.parse('2026-12-06T14:00:00.123Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

/** A logger as `callguard serve` makes one, writing into an array of raw lines. */
function logger(options: pino.LoggerOptions = {}): { log: Logger; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (written.push(String(chunk)), done()) });
  return { log: pino({ name: 'callguard', ...NEVER_LOGGED_OPTIONS, ...options }, stream), written };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

const CALLS: Call[] = [
  { from: '4101', to: '909011234567' }, // premium: refused, sipStatus
  { from: '4101', to: '01707284678' }, // allowed
  { from: '2900', to: '999' }, // emergency, at warn
  { from: '4101', to: 'not a number' }, // invalid: no e164 or country
  { from: '4101', to: '0033142685300' }, // abroad
  { from: '4101', to: 'x"y\\z\u0001é' }, // what JSON must escape, and more
];

describe('decision log line', () => {
  it('is byte for byte the line pino writes for the same record', async () => {
    for (const call of CALLS) {
      const now = Date.parse('2026-12-06T13:59:59.999Z');
      const decision = decide(plan, LOCKED_PHONE, call, now);
      const context = { callId: `a84b4c76e66710@pc33.example.com`, decisionMicros: 3 };
      const ours = logger();
      logDecision(ours.log, call, decision, now, context);
      const pinos = logger();
      const record = decisionRecord(call, decision, now, context);
      if (decision.action === 'emergency') pinos.log.warn(record, 'emergency call');
      else pinos.log.info(record, 'decision');
      await flushed();
      expect(ours.written).toHaveLength(1);
      expect(ours.written).toEqual(pinos.written);
    }
  });

  it('keeps to the logger level', async () => {
    const { log, written } = logger({ level: 'warn' });
    for (const call of CALLS) logDecision(log, call, decide(plan, LOCKED_PHONE, call, 0), 0);
    await flushed();
    expect(written.map((line) => JSON.parse(line).msg)).toEqual(['emergency call']);
  });

  it('is left to pino when the logger adds to every line', async () => {
    const { log, written } = logger({ mixin: () => ({ instance: 'a' }) });
    logDecision(log, CALLS[0]!, decide(plan, LOCKED_PHONE, CALLS[0]!, 0), 0);
    await flushed();
    expect(JSON.parse(written[0]!)).toMatchObject({ instance: 'a', action: 'reject', msg: 'decision' });
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AlertDispatcher, type AlertChannel } from '../../src/audit/alertDispatcher.js';
import { alertFields, alertText, type SecurityAlert } from '../../src/audit/securityAlert.js';

const ALERT: SecurityAlert = { kind: 'emergency', ext: '4101', name: 'Dr Alice Moreno', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: '2026-11-23T20:00:00.000Z', callId: 'c1' };

function counting() {
  const counts = { sent: [] as string[], failed: [] as string[] };
  return { counts, outcomes: { sent: (c: string) => counts.sent.push(c), failed: (c: string) => counts.failed.push(c) } };
}

describe('Security alerts', () => {
  it('say what happened first, then who, where and when', () => {
    expect(alertText(ALERT).split('\r\n')).toEqual(['EMERGENCY 999', 'extension: 4101 (Dr Alice Moreno)', 'callback: +441707284101', 'location: Lindop Building, room 2F410', 'time: 2026-11-23T20:00:00.000Z', '']);
    expect(alertText({ ...ALERT, kind: 'hotline' })).toMatch(/^HOTLINE /);
    expect(alertText({ ...ALERT, kind: 'pin-lockout' })).toMatch(/^PIN-LOCKOUT /);
    expect(alertFields(ALERT)).toEqual({ kind: 'emergency', ext: '4101', name: 'Dr Alice Moreno', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: ALERT.at, callId: 'c1' });
  });

  it('go out on every channel; a failing channel is retried a bounded number of times, counted, and never thrown', async () => {
    let flakyCalls = 0;
    let brokenCalls = 0;
    const delivered: string[] = [];
    const channels: AlertChannel[] = [
      { name: 'ok', deliver: async (a) => void delivered.push(a.callId) },
      { name: 'flaky', deliver: async () => { if (++flakyCalls < 2) throw new Error('busy'); } },
      { name: 'broken', deliver: async () => { brokenCalls++; throw new Error('down'); } },
    ];
    const { counts, outcomes } = counting();
    const dispatcher = new AlertDispatcher(channels, pino({ level: 'silent' }), outcomes);
    expect(dispatcher.send(ALERT)).toBeUndefined();
    await dispatcher.sendAndSettle({ ...ALERT, callId: 'c2' });
    expect(delivered).toContain('c2');
    expect(brokenCalls).toBeGreaterThanOrEqual(3);
    expect(counts.failed).toContain('broken');
    expect(counts.sent).toEqual(expect.arrayContaining(['ok', 'flaky']));
  });
});

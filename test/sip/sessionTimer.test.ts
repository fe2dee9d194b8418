import { describe, expect, it } from 'vitest';
import { timerAnswerHeaders, offerHeaders } from '../../src/sip/sessionTimer.js';

const headersOf = (values: Record<string, string>) => ({ get: (name: string) => values[Object.keys(values).find((k) => k.toLowerCase() === name.toLowerCase()) ?? ''] });

describe('session timer negotiation (RFC 4028)', () => {
  it('offers the interval on every leg callguard places, the callee refreshing', () => {
    expect(offerHeaders(1800)).toEqual({ Supported: 'timer', 'Session-Expires': '1800;refresher=uas', 'Min-SE': '90' });
  });

  it('answers a caller that supports timers with Session-Expires and Require, the caller refreshing unless it asked callguard to', () => {
    expect(timerAnswerHeaders(headersOf({ Supported: '100rel, timer' }), 1800)).toEqual({ 'Session-Expires': '1800;refresher=uac', Require: 'timer' });
    expect(timerAnswerHeaders(headersOf({ Supported: 'timer', 'Session-Expires': '300;refresher=uac' }), 1800)).toEqual({ 'Session-Expires': '300;refresher=uac', Require: 'timer' });
    expect(timerAnswerHeaders(headersOf({ Supported: 'TIMER', 'Session-Expires': '300; Refresher=UAS' }), 1800)).toEqual({ 'Session-Expires': '300;refresher=uas', Require: 'timer' });
  });

  it('never shorter than the caller Min-SE (nor RFC 4028 floor), never longer than ours', () => {
    expect(timerAnswerHeaders(headersOf({ Supported: 'timer', 'Session-Expires': '100', 'Min-SE': '120' }), 1800)?.['Session-Expires']).toBe('120;refresher=uac');
    expect(timerAnswerHeaders(headersOf({ Supported: 'timer', 'Session-Expires': '30' }), 1800)?.['Session-Expires']).toBe('90;refresher=uac');
    expect(timerAnswerHeaders(headersOf({ Supported: 'timer', 'Session-Expires': '7200' }), 1800)?.['Session-Expires']).toBe('1800;refresher=uac');
  });

  it('a Session-Expires from a caller that does not support timers (a proxy put it there): callguard refreshes, no Require', () => {
    expect(timerAnswerHeaders(headersOf({ 'Session-Expires': '600;refresher=uac' }), 1800)).toEqual({ 'Session-Expires': '600;refresher=uas' });
  });

  it('no timer for a caller that neither supports nor asks for one; garbage asks for nothing', () => {
    expect(timerAnswerHeaders(headersOf({}), 1800)).toBeUndefined();
    expect(timerAnswerHeaders(headersOf({ Supported: 'replaces, 100rel' }), 1800)).toBeUndefined();
    expect(timerAnswerHeaders(headersOf({ 'Session-Expires': 'soon;refresher=uac' }), 1800)).toBeUndefined();
  });
});

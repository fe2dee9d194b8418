/**
 * A media server that never finishes a prompt must not hold a call for ever: playBounded and
 * collectDigits end at their limits, or at once when FreeSWITCH ends the channel. Fake timers on the
 * stand-in's endpoints directly (no SIP here).
 */
import type Mrf from 'drachtio-fsmrf';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectDigits, playBounded } from '../../src/media/prompts.js';
import { FreeswitchStandIn, type StandInEndpoint } from '../support/freeswitchStandIn.js';

async function endpointOf(fs: FreeswitchStandIn): Promise<Mrf.Endpoint & StandInEndpoint> {
  return (await fs.mediaServer!.createEndpoint()) as unknown as Mrf.Endpoint & StandInEndpoint;
}

describe('media prompts: bounded', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a play that never ends is given up after a minute', async () => {
    const fs = new FreeswitchStandIn();
    const endpoint = await endpointOf(fs);
    fs.hold();
    vi.useFakeTimers();
    let done = false;
    const playing = playBounded(endpoint, '/audio/notices/general.wav').then(() => (done = true));
    await vi.advanceTimersByTimeAsync(59_000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    await playing;
    expect(done).toBe(true);
  });

  it('a digit collection that never ends is given up (no digits)', async () => {
    const fs = new FreeswitchStandIn();
    const endpoint = await endpointOf(fs);
    fs.hold();
    vi.useFakeTimers();
    let digits: string | undefined = 'pending';
    const collecting = collectDigits(endpoint, '/audio/prompts/pin-enter.wav', 6).then((d) => (digits = d));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(digits).toBe('pending');
    await vi.advanceTimersByTimeAsync(120_000);
    await collecting;
    expect(digits).toBeUndefined();
  });

  it('FreeSWITCH ending the channel ends a play and a collection at once, though their commands never complete', async () => {
    const fs = new FreeswitchStandIn();
    const endpoint = await endpointOf(fs);
    const other = await endpointOf(fs);
    fs.hold();
    const playing = playBounded(endpoint, '/audio/notices/general.wav');
    const collecting = collectDigits(other, '/audio/prompts/pin-enter.wav', 6);
    await fs.until('both started', () => (fs.journal.filter((s) => s.op === 'play' || s.op === 'playCollect').length === 2 ? true : undefined));
    fs.hangUp(endpoint, { pending: 'hang' });
    fs.hangUp(other, { pending: 'hang' });
    await playing;
    expect(await collecting).toBeUndefined();
  });

  it('digits typed by the caller are returned; a short or non-digit entry is not', async () => {
    const fs = new FreeswitchStandIn();
    const endpoint = await endpointOf(fs);
    fs.type('538271', null);
    expect(await collectDigits(endpoint, '/audio/prompts/pin-enter.wav', 6)).toBe('538271');
    expect(await collectDigits(endpoint, '/audio/prompts/pin-enter.wav', 6)).toBeUndefined();
    // keyed one by one (SIP INFO relayed as uuid_recv_dtmf); '#' ends the entry, too short here
    const short = collectDigits(endpoint, '/audio/prompts/pin-enter.wav', 6);
    for (const d of '12#') await endpoint.api('uuid_recv_dtmf', `${endpoint.uuid} ${d}`);
    expect(await short).toBeUndefined();
    const keyed = collectDigits(endpoint, '/audio/prompts/pin-enter.wav', 6);
    for (const d of '604918') await endpoint.api('uuid_recv_dtmf', `${endpoint.uuid} ${d}`);
    expect(await keyed).toBe('604918');
  });
});

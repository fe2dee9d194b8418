/**
 * A far end's failure passed on to the caller. Some statuses mean nothing without a header that says
 * what to do instead (RFC 3261 §21.4, RFC 4028 §6): it goes with them. A challenge is callguard's to
 * answer, not the caller's; a Session-Expires the callee finds too short is offered again, longer.
 * CI level: the SIP edge on the fake drachtio-server, session timers on (CALLGUARD_SESSION_EXPIRES).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Edge } from '../support/edgeFixture.js';

describe("SIP edge: a far end's failure passed on", () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start({ sessionExpiresSeconds: 1800 });
  });

  afterAll(async () => {
    await edge.stop();
  });

  it.each([
    [420, { Unsupported: 'replaces' }],
    [415, { Accept: 'application/sdp', 'Accept-Encoding': 'identity' }],
    [486, { 'Retry-After': '60' }],
    [503, { 'Retry-After': '30' }],
  ] as const)('%s: the caller gets it with the headers that say what to do instead', async (status, headers) => {
    const a = edge.invite('4101', '4202');
    (await edge.nextInvite()).respond(status, { headers: { ...headers, 'X-Other': 'not passed on' } });
    const final = await a.finalResponse();
    expect(final.status).toBe(status);
    for (const [name, value] of Object.entries(headers)) expect(final.get(name)).toBe(value);
    expect(final.get('X-Other')).toBeUndefined();
  });

  it('a transfer target refusing Require: replaces (420): the transferee learns which extension', async () => {
    const a = edge.invite('4150', '4202', { headers: { Replaces: 'a84b4c76e66710@pc33.example.com;to-tag=1928301774;from-tag=776asdhds', Require: 'replaces' } });
    const b = await edge.nextInvite();
    expect(b.get('Require')).toBe('replaces');
    b.respond(420, { headers: { Unsupported: 'replaces' } });
    const final = await a.finalResponse();
    expect(final.status).toBe(420);
    expect(final.get('Unsupported')).toBe('replaces');
  });

  it.each([401, 407])('a PBX or trunk challenging callguard (%s): the caller, who cannot answer it, gets 500', async (status) => {
    const a = edge.invite('4101', '4202');
    const challenge = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    (await edge.nextInvite()).respond(status, { headers: { [challenge]: 'Digest realm="trunk.example", nonce="abc123", algorithm=MD5, qop="auth"' } });
    const final = await a.finalResponse();
    expect(final.status).toBe(500);
    expect(final.get(challenge)).toBeUndefined();
  });

  it("a callee whose Min-SE is above the Session-Expires offered (422): called again with its Min-SE (RFC 4028 §7.4), and that answer is the caller's", async () => {
    const a = edge.invite('4101', '4202');
    const first = await edge.nextInvite();
    expect(first.get('Session-Expires')).toBe('1800;refresher=uas');
    first.respond(422, { headers: { 'Min-SE': '3600' } });
    const again = await edge.nextInvite();
    expect(again.uri).toBe(first.uri);
    expect(again.get('Session-Expires')).toBe('3600;refresher=uas');
    again.respond(486);
    expect((await a.finalResponse()).status).toBe(486);
  });

  it('a callee answering 422 again, or with no usable Min-SE: the caller gets the 422 with it, and nothing is tried a third time', async () => {
    const a = edge.invite('4101', '4202');
    (await edge.nextInvite()).respond(422, { headers: { 'Min-SE': '3600' } });
    (await edge.nextInvite()).respond(422, { headers: { 'Min-SE': '7200' } });
    const final = await a.finalResponse();
    expect(final.status).toBe(422);
    expect(final.get('Min-SE')).toBe('7200');
    const b = edge.invite('4101', '4202');
    (await edge.nextInvite()).respond(422, { headers: { 'Min-SE': 'soon' } });
    expect((await b.finalResponse()).status).toBe(422);
  });
});

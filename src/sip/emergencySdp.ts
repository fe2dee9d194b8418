/** Payload types the PSTN and every PSAP speak (RFC 3551 static G.711). */
const G711 = new Set(['0', '8']);

/**
 * The caller's SDP offer reduced for the emergency trunk: in a single RTP/AVP audio stream, only the
 * G.711 formats and telephone-event, without the rtpmap lines static payload types do not need. The
 * PSAP's answer is then a subset of what the caller offered, so it stays a valid answer for the caller.
 * Anything else (several streams, SRTP, no G.711 offered) is sent as it came.
 */
export function emergencyOffer(sdp: string): string {
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  const media = lines.filter((l) => l.startsWith('m='));
  const m = media.length === 1 ? /^m=audio (\d+(?:\/\d+)?) RTP\/AVP ((?:\d+ ?)+)$/.exec(media[0]!) : null;
  if (!m) return sdp;
  const events = new Set(lines.flatMap((l) => /^a=rtpmap:(\d+) telephone-event\//i.exec(l)?.[1] ?? []));
  const offered = m[2]!.trim().split(' ');
  const kept = offered.filter((pt) => G711.has(pt) || events.has(pt));
  if (!kept.some((pt) => G711.has(pt))) return sdp;
  const keep = new Set(kept);
  const out = lines.flatMap((line) => {
    if (line.startsWith('m=')) return [`m=audio ${m[1]} RTP/AVP ${kept.join(' ')}`];
    const format = /^a=(rtpmap|fmtp):(\d+)/.exec(line);
    if (format) return keep.has(format[2]!) && !(format[1] === 'rtpmap' && G711.has(format[2]!)) ? [line] : [];
    if (/^a=(ptime|sendrecv|maxptime)\b/.test(line)) return [];
    return [line];
  });
  return `${out.join('\r\n')}\r\n`;
}

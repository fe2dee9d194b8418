/** Payload types the PSTN and every PSAP speak (RFC 3551 static G.711). */
const G711 = new Set(['0', '8']);

/**
 * Attributes a trunk has no use for and phones and browsers add freely: stream and track ids
 * (RFC 5576, RFC 8830), header extensions (RFC 8285), RTCP feedback and reduced-size RTCP (RFC 4585,
 * RFC 5506), stream grouping (only one stream stays), the tool line, packet-time hints.
 * Dropping them changes nothing the answer may say.
 */
const UNNEEDED = /^a=(group|ssrc|ssrc-group|msid|msid-semantic|label|extmap|extmap-allow-mixed|rtcp-fb|rtcp-rsize|tool|ptime|maxptime|minptime|sendrecv)\b/;

interface Section {
  m?: { media: string; port: string; proto: string; formats: string[] };
  lines: string[];
}

/**
 * The caller's SDP offer reduced for the emergency trunk: one audio stream with only the G.711 formats
 * and telephone-event, without the attributes a trunk does not need; every other stream (video, a
 * second audio, data) is offered disabled (port 0, RFC 3264 §6), so the PSAP's answer keeps the
 * caller's streams in order and stays a valid answer for the caller. An offer without G.711 keeps its
 * codecs; an offer with no audio stream is sent as it came.
 */
export function emergencyOffer(sdp: string): string {
  const sections = splitSections(sdp);
  const audio = sections.findIndex((s) => s.m?.media === 'audio' && s.m.port !== '0');
  if (audio < 0) return sdp;
  const out = sections.flatMap((section, i) => {
    if (!section.m) return section.lines.filter((l) => !UNNEEDED.test(l));
    if (i !== audio) return [`m=${section.m.media} 0 ${section.m.proto} ${section.m.formats[0] ?? '0'}`];
    return audioSection(section as Required<Section>);
  });
  return `${out.join('\r\n')}\r\n`;
}

function audioSection({ m, lines }: Required<Section>): string[] {
  const rtpmaps = new Map(lines.flatMap((l) => {
    const r = /^a=rtpmap:(\d+) ([^/\s]+\/\d+)/i.exec(l);
    return r ? [[r[1]!, r[2]!.toLowerCase()] as const] : [];
  }));
  const spoken = (pt: string) => G711.has(pt) || rtpmaps.get(pt) === 'pcmu/8000' || rtpmaps.get(pt) === 'pcma/8000';
  const kept = m.formats.some(spoken) ? m.formats.filter((pt) => spoken(pt) || rtpmaps.get(pt) === 'telephone-event/8000') : m.formats;
  const keep = new Set(kept);
  return [
    `m=${m.media} ${m.port} ${m.proto} ${kept.join(' ')}`,
    ...lines.slice(1).filter((line) => {
      if (UNNEEDED.test(line)) return false;
      const format = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)/.exec(line);
      // Static types need no rtpmap.
      return !format || (keep.has(format[2]!) && !(format[1] === 'rtpmap' && G711.has(format[2]!)));
    }),
  ];
}

/** The session part, then one section per m-line. */
function splitSections(sdp: string): Section[] {
  const sections: Section[] = [{ lines: [] }];
  for (const line of sdp.split(/\r?\n/)) {
    if (line === '') continue;
    const m = /^m=(\S+) (\d+(?:\/\d+)?) (\S+)((?: \S+)*)$/.exec(line);
    if (m) sections.push({ m: { media: m[1]!, port: m[2]!, proto: m[3]!, formats: m[4]!.trim().split(' ').filter(Boolean) }, lines: [line] });
    else sections[sections.length - 1]!.lines.push(line);
  }
  return sections;
}

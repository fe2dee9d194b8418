/**
 * RTP captures for SIPp's `play_pcap_audio` (lab README: "pcaps you generate"): PCMU audio (tone or
 * silence) and RFC 2833 / RFC 4733 telephone-events, 20 ms packets, written as a classic pcap of
 * Ethernet/IPv4/UDP frames (SIPp replaces the addresses and ports, keeps the RTP and the timing).
 */
import { writeFileSync } from 'node:fs';

const SAMPLE_RATE = 8000;
const PTIME_MS = 20;
const SAMPLES = (SAMPLE_RATE * PTIME_MS) / 1000; // 160 samples a packet
export const PCMU_PT = 0;
export const TELEPHONE_EVENT_PT = 101;

/** G.711 µ-law encoding of one 16-bit linear sample. */
export function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; exponent--, mask >>= 1);
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export type RtpSegment =
  | { kind: 'silence'; ms: number }
  | { kind: 'tone'; ms: number; hz: number; amplitude?: number }
  /** One RFC 2833 event per digit: `eventMs` of event packets (3 end packets), then `gapMs` of silence. */
  | { kind: 'digits'; digits: string; eventMs?: number; gapMs?: number };

interface RtpPacket {
  atMs: number;
  payloadType: number;
  marker: boolean;
  timestamp: number;
  payload: Buffer;
}

const DTMF_EVENTS: Record<string, number> = { '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15 };
function dtmfEvent(digit: string): number {
  if (/^[0-9]$/.test(digit)) return Number(digit);
  const e = DTMF_EVENTS[digit.toUpperCase()];
  if (e === undefined) throw new Error(`not a DTMF digit: ${digit}`);
  return e;
}

/** The RTP packets of a sequence of segments, timed from 0. */
export function rtpPackets(segments: RtpSegment[]): RtpPacket[] {
  const out: RtpPacket[] = [];
  let atMs = 0;
  let timestamp = 0;
  let sampleIndex = 0;
  let first = true;
  const audio = (ms: number, sample: (n: number) => number) => {
    for (let t = 0; t < ms; t += PTIME_MS) {
      const payload = Buffer.alloc(SAMPLES);
      for (let i = 0; i < SAMPLES; i++) payload[i] = linearToMulaw(sample(sampleIndex++));
      out.push({ atMs, payloadType: PCMU_PT, marker: first, timestamp, payload });
      first = false;
      atMs += PTIME_MS;
      timestamp += SAMPLES;
    }
  };
  for (const seg of segments) {
    if (seg.kind === 'silence') audio(seg.ms, () => 0);
    else if (seg.kind === 'tone') {
      const amp = seg.amplitude ?? 8000;
      audio(seg.ms, (n) => amp * Math.sin((2 * Math.PI * seg.hz * n) / SAMPLE_RATE));
    } else {
      const eventMs = seg.eventMs ?? 120;
      const gapMs = seg.gapMs ?? 200;
      for (const digit of seg.digits) {
        const event = dtmfEvent(digit);
        const start = timestamp;
        const packets = Math.max(1, Math.round(eventMs / PTIME_MS));
        for (let i = 1; i <= packets + 2; i++) {
          const end = i >= packets;
          const duration = Math.min(i, packets) * SAMPLES;
          const payload = Buffer.alloc(4);
          payload[0] = event;
          payload[1] = (end ? 0x80 : 0) | 10; // E bit, volume -10 dBm0
          payload.writeUInt16BE(duration, 2);
          out.push({ atMs, payloadType: TELEPHONE_EVENT_PT, marker: i === 1, timestamp: start, payload });
          if (i <= packets) atMs += PTIME_MS; // the two extra end packets repeat at once (RFC 4733 §2.5.1.4)
        }
        timestamp = start + packets * SAMPLES;
        audio(gapMs, () => 0);
      }
    }
  }
  return out;
}

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A pcap file (Ethernet link type) of the packets, UDP 127.0.0.1:6000 -> 127.0.0.1:6002. */
export function pcapOf(packets: RtpPacket[], ssrc = 0x1234abcd): Buffer {
  const parts: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // DLT_EN10MB
  parts.push(global);
  packets.forEach((p, seq) => {
    const rtp = Buffer.alloc(12 + p.payload.length);
    rtp[0] = 0x80;
    rtp[1] = (p.marker ? 0x80 : 0) | p.payloadType;
    rtp.writeUInt16BE(seq & 0xffff, 2);
    rtp.writeUInt32BE(p.timestamp >>> 0, 4);
    rtp.writeUInt32BE(ssrc >>> 0, 8);
    p.payload.copy(rtp, 12);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(6000, 0);
    udp.writeUInt16BE(6002, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip.writeUInt16BE(seq & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([127, 0, 0, 1]).copy(ip, 12);
    Buffer.from([127, 0, 0, 1]).copy(ip, 16);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    const usec = Math.round(p.atMs * 1000);
    rec.writeUInt32LE(Math.floor(usec / 1e6), 0);
    rec.writeUInt32LE(usec % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}

/** Writes the segments as a pcap file; returns its length in ms (how long SIPp takes to play it). */
export function writeRtpPcap(file: string, segments: RtpSegment[]): number {
  const packets = rtpPackets(segments);
  writeFileSync(file, pcapOf(packets));
  const last = packets[packets.length - 1];
  return last ? last.atMs + PTIME_MS : 0;
}

/** Six RFC 2833 digits after `leadMs` of silence, then silence for the next prompt. */
export function pinEntries(pins: string[], leadMs: number, betweenMs: number, tailMs = 10_000): RtpSegment[] {
  const out: RtpSegment[] = [{ kind: 'silence', ms: leadMs }];
  pins.forEach((pin, i) => {
    out.push({ kind: 'digits', digits: pin });
    out.push({ kind: 'silence', ms: i === pins.length - 1 ? tailMs : betweenMs });
  });
  return out;
}

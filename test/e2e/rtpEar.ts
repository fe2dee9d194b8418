/**
 * What a SIPp party hears. SIPp plays RTP but keeps nothing it receives, so its scenario advertises an
 * "ear" in its SDP (`[media_port+4]`): a UDP socket here that keeps every PCMU packet sent to the party,
 * with the address it came from. SIPp's play_pcap_audio sends from that same port (symmetric RTP, which
 * FreeSWITCH holds a party to: RTP from another port is dropped once the stream has settled). The far
 * end of a direct call and a FreeSWITCH conference send from different addresses, so the packets fall
 * into stretches by sender (direct, then through FreeSWITCH, then direct again), and each stretch is
 * measured for the tones the other parties play.
 */
import { createSocket, type Socket } from 'node:dgram';
import { freePortRange } from '../support/freePort.js';
import { PCMU_PT } from './rtpPcap.js';

/** A run of consecutive packets from one sender. */
export interface Stretch {
  from: string;
  packets: number;
  /** Level (0..32767, a sine's amplitude) of each asked tone in this stretch's audio. */
  level(hz: number): number;
}

/** G.711 µ-law to a 16-bit linear sample. */
export function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

/** The amplitude of the `hz` component of `samples` (8 kHz), by the Goertzel algorithm. */
export function toneLevel(samples: Int16Array | number[], hz: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(power, 0))) / n;
}

export class RtpEar {
  private readonly received: { from: string; payload: Buffer }[] = [];

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (message, remote) => {
      // RTP version 2, PCMU only (telephone-events and comfort noise are not audio to measure).
      if (message.length <= 12 || message[0]! >> 6 !== 2 || (message[1]! & 0x7f) !== PCMU_PT) return;
      const csrc = message[0]! & 0x0f;
      this.received.push({ from: `${remote.address}:${remote.port}`, payload: message.subarray(12 + 4 * csrc) });
    });
  }

  /** SIPp's media ports start here (`-mp`, in sippArgs); the ear is `[media_port+4]`, past the ones SIPp binds. */
  get sippArgs(): string[] {
    return ['-mp', String(this.port - 4)];
  }

  static async open(): Promise<RtpEar> {
    for (let attempt = 1; ; attempt++) {
      const base = await freePortRange(6);
      const socket = createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(base + 4, '127.0.0.1', () => resolve());
        });
        return new RtpEar(socket, base + 4);
      } catch (error) {
        socket.close();
        if (attempt >= 5) throw error;
      }
    }
  }

  get packets(): number {
    return this.received.length;
  }

  /**
   * The packets so far as runs by sender, in the order they came. While media moves, two senders
   * overlap for a moment: runs shorter than `minPackets` are left out and what is left of one sender's
   * side by side is one stretch.
   */
  stretches(minPackets = 25): Stretch[] {
    const runs: { from: string; payloads: Buffer[] }[] = [];
    for (const p of this.received) {
      const last = runs.at(-1);
      if (last?.from === p.from) last.payloads.push(p.payload);
      else runs.push({ from: p.from, payloads: [p.payload] });
    }
    const merged: typeof runs = [];
    for (const run of runs.filter((r) => r.payloads.length >= minPackets)) {
      const last = merged.at(-1);
      if (last?.from === run.from) last.payloads.push(...run.payloads);
      else merged.push(run);
    }
    return merged.map((r) => {
      const samples = Int16Array.from(Buffer.concat(r.payloads), mulawToLinear);
      return { from: r.from, packets: r.payloads.length, level: (hz: number) => Math.round(toneLevel(samples, hz)) };
    });
  }

  /** The stretches, with the level of each tone, for assertion messages. */
  describe(tones: number[]): string {
    return this.stretches()
      .map((s) => `${s.from} ${s.packets} packets: ${tones.map((hz) => `${hz} Hz ${s.level(hz)}`).join(', ')}`)
      .join('\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

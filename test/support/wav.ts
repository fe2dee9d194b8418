/**
 * 16-bit PCM WAV files for softphone tests: silence to send, and the level of what was received, read
 * straight from the file so a recording still being written (its header not yet final) can be measured.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const HEADER_BYTES = 44;

/** Writes `seconds` of digital silence, mono 16-bit PCM at `rate` Hz. */
export function writeSilentWav(file: string, seconds: number, rate = 8_000): void {
  const dataBytes = Math.round(seconds * rate) * 2;
  const wav = Buffer.alloc(HEADER_BYTES + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28); // bytes a second
  wav.writeUInt16LE(2, 32); // bytes a frame
  wav.writeUInt16LE(16, 34); // bits a sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  writeFileSync(file, wav);
}

export interface WavLevel {
  seconds: number;
  /** RMS amplitude of every sample so far, 0..1 of full scale (as sox `stat` reports it). */
  rms: number;
}

/**
 * Length and RMS level of a 16-bit PCM WAV. The samples run from the data chunk to the end of the file:
 * a writer that has not closed the file yet has not filled in the chunk's size.
 */
export function wavLevel(file: string): WavLevel {
  const wav = readFileSync(file);
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file} is not a WAV file`);
  let rate = 0;
  let channels = 0;
  for (let at = 12; at + 8 <= wav.length; ) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (wav.readUInt16LE(at + 8) !== 1 || wav.readUInt16LE(at + 22) !== 16) throw new Error(`${file}: not 16-bit PCM`);
      channels = wav.readUInt16LE(at + 10);
      rate = wav.readUInt32LE(at + 12);
    } else if (id === 'data') {
      if (!rate) throw new Error(`${file}: data before fmt`);
      const samples = Math.floor((wav.length - at - 8) / 2);
      let sumOfSquares = 0;
      for (let i = 0; i < samples; i++) sumOfSquares += (wav.readInt16LE(at + 8 + i * 2) / 32_768) ** 2;
      return { seconds: samples / channels / rate, rms: samples ? Math.sqrt(sumOfSquares / samples) : 0 };
    }
    at += 8 + size + (size % 2);
  }
  return { seconds: 0, rms: 0 };
}

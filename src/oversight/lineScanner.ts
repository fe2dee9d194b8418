import { existsSync, readFileSync } from 'node:fs';

/**
 * The WebAssembly half of the record reader (lineScanner.wat): a chunk of a record file goes into its
 * memory, and one call finds up to OUT_LINES lines, tells which are whole records and where each known
 * field's value is. recordScan.ts reads the values from there.
 *
 * The build compiles the text to `lineScanner.wasm` beside the compiled module (scripts/build-wasm.mjs);
 * run from source (tests), the text is compiled here, with the same compiler.
 */
const binary = new URL('./lineScanner.wasm', import.meta.url);
const text = new URL('./lineScanner.wat', import.meta.url);

let compiled: WebAssembly.Module | undefined = existsSync(binary) ? undefined : new WebAssembly.Module(await (await import('./compileWat.js')).compileWat('lineScanner.wat', readFileSync(text, 'utf8')));

function wasmModule(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(readFileSync(binary)));
}

interface Exports {
  memory: WebAssembly.Memory;
  scan(from: number, to: number): number;
  resume: WebAssembly.Global;
  KEY_CODES: WebAssembly.Global;
  KEY_TEXT: WebAssembly.Global;
  OUT: WebAssembly.Global;
  OUT_LINES: WebAssembly.Global;
  RECORD_WORDS: WebAssembly.Global;
  FIELDS: WebAssembly.Global;
  IN: WebAssembly.Global;
}

/** Bytes kept free after the input, for the scanner's 16-byte loads past a chunk's end. */
const SLACK = 64;

/** The key code the scanner looks a key up by: its length, and the low six bits of its first and last bytes. */
const keyCode = (key: string) => (key.length << 12) | ((key.charCodeAt(0) & 63) << 6) | (key.charCodeAt(key.length - 1) & 63);

export class LineScanner {
  private readonly exports: Exports;
  /** The scanner's memory as bytes and as words (new views whenever it grows). */
  bytes!: Buffer;
  words!: Int32Array;
  /** Where a chunk of the file goes, and how many bytes fit there. */
  readonly input: number;
  capacity = 0;
  /** The first line record's index in `words`, and the words per record. */
  readonly firstRecord: number;
  readonly recordWords: number;
  /** Lines one `scan` records at most. */
  readonly maxLines: number;

  /** `keys[f]` is field f's key (ASCII, 1 to 15 bytes, no two with the same key code). */
  constructor(keys: readonly string[]) {
    this.exports = new WebAssembly.Instance(wasmModule()).exports as unknown as Exports;
    const e = this.exports;
    if (keys.length !== e.FIELDS.value) throw new Error(`the line scanner has ${e.FIELDS.value} fields, the reader ${keys.length}`);
    this.input = e.IN.value as number;
    this.firstRecord = (e.OUT.value as number) >> 2;
    this.recordWords = e.RECORD_WORDS.value as number;
    this.maxLines = e.OUT_LINES.value as number;
    this.views();
    const codes = e.KEY_CODES.value as number;
    this.bytes.fill(-1, codes, codes + 65536);
    keys.forEach((key, f) => {
      if (key.length < 1 || key.length > 15) throw new Error(`record key ${key} must be 1 to 15 bytes`);
      const at = codes + keyCode(key);
      if (this.bytes[at] !== 0xff) throw new Error(`record keys ${key} and ${keys[this.bytes[at]!]} share a key code`);
      this.bytes[at] = f;
      this.bytes.write(key, (e.KEY_TEXT.value as number) + f * 16, 'latin1');
    });
  }

  /** Records the whole lines in bytes [from, to) of memory; returns how many (see lineScanner.wat for a record). */
  scan(from: number, to: number): number {
    return this.exports.scan(from, to);
  }

  /** Where the next `scan` starts: past the last newline the last one looked at. */
  get resume(): number {
    return this.exports.resume.value as number;
  }

  /** At least twice the room for input (a line longer than a chunk). */
  grow(): void {
    const memory = this.exports.memory;
    memory.grow(Math.ceil(Math.max(this.capacity, 65536) / 65536));
    this.views();
  }

  private views(): void {
    const buffer = this.exports.memory.buffer;
    this.bytes = Buffer.from(buffer);
    this.words = new Int32Array(buffer);
    this.capacity = buffer.byteLength - this.input - SLACK;
  }
}

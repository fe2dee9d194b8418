import jsYaml from 'js-yaml';

/**
 * A reader for the plain block YAML that admins write and generators emit by the hundred thousand
 * lines (mappings of sequences of small mappings, one value a line, one-line flow collections), about
 * ten times faster than js-yaml and with far less garbage. It gives exactly what js-yaml's CORE schema
 * gives, including the line each cited mapping or sequence opens on; for anything outside that subset
 * (anchors, tags, multi-line or escaped scalars, tabs, odd indentation, duplicate keys, errors) it
 * gives up and js-yaml reads the file, reporting any error as before.
 */
export interface PlainYaml {
  data: Record<string, unknown>;
  /** Line (1-based) each mapping or sequence at depth <= citedDepth opens on, as js-yaml's listener reports it. */
  openedAt: Map<object, number>;
}

interface ImplicitType {
  resolve(text: string): boolean;
  construct(text: string): unknown;
}
/** js-yaml's own null, bool, int and float resolvers, so plain scalars mean exactly what they mean there. */
const IMPLICIT = (jsYaml.CORE_SCHEMA as unknown as { compiledImplicit: ImplicitType[] }).compiledImplicit;
/** Whether a plain scalar starting with this character could be claimed by an implicit type (else it is a string). */
const mayBeTyped = (c: number) => (c >= 48 && c <= 57) || '-+.~nNtTfF'.includes(String.fromCharCode(c));
/** Plain keys js-yaml would read as null or a boolean, so not keep as written. */
const NULL_OR_BOOL = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
const isKeyStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isKeyChar = (c: number) => isKeyStart(c) || (c >= 48 && c <= 57) || c === 45;
const ASCII_PRINTABLE = /^[\n\x20-\x7e]*$/;
/** js-yaml refuses these; leave such a file to it so the error is reported. */
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
/** Characters that cannot start a plain scalar (YAML 1.2 c-indicator), beside "- ", "? " and ": ". */
const INDICATORS = new Set([',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

class NotPlain extends Error {}
const notPlain = (): never => {
  throw new NotPlain();
};

export function readPlainYaml(text: string, citedDepth: number): PlainYaml | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  if (!ASCII_PRINTABLE.test(text) && NON_PRINTABLE.test(text)) return undefined;
  try {
    return new Reader(text, citedDepth).document();
  } catch (error) {
    if (error instanceof NotPlain) return undefined;
    throw error;
  }
}

/**
 * Walks the text line by line by position (no string per line): `col` is where the current line's
 * content starts (after "- " on an item line), `indent` its column, `end` where the line ends.
 */
class Reader {
  private readonly openedAt = new Map<object, number>();
  private readonly keys = new Keys();
  private lineNumber = 0;
  private lineStart = 0;
  private next = 0;
  private col = 0;
  private end = 0;
  private atEnd = false;

  constructor(
    private readonly text: string,
    private readonly citedDepth: number,
  ) {
    this.nextLine();
  }

  document(): PlainYaml {
    if (this.atEnd || this.indent !== 0 || this.isItem()) notPlain();
    const data = this.mapping(0, 0, this.lineNumber);
    if (!this.atEnd) notPlain();
    return { data, openedAt: this.openedAt };
  }

  private get indent(): number {
    return this.col - this.lineStart;
  }

  /** Moves to the next line with content, skipping blank and comment lines. */
  private nextLine(): void {
    const text = this.text;
    while (this.next <= text.length) {
      const start = this.next;
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      this.next = end + 1;
      this.lineNumber++;
      let col = start;
      while (text.charCodeAt(col) === 32) col++;
      if (col < end && text.charCodeAt(col) !== 35) {
        this.lineStart = start;
        this.col = col;
        this.end = end;
        return;
      }
    }
    this.atEnd = true;
  }

  private isItem(): boolean {
    return this.text.charCodeAt(this.col) === 45 && (this.col + 1 === this.end || this.text.charCodeAt(this.col + 1) === 32);
  }

  private cite<T extends object>(value: T, depth: number, line: number): T {
    if (depth <= this.citedDepth) this.openedAt.set(value, line);
    return value;
  }

  private mapping(indent: number, depth: number, openLine: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    while (!this.atEnd && this.indent === indent) {
      if (this.isItem()) notPlain();
      this.pair(map, indent, depth);
    }
    if (!this.atEnd && this.indent > indent) notPlain();
    return this.cite(map, depth, openLine);
  }

  private sequence(indent: number, depth: number, openLine: number): unknown[] {
    const items: unknown[] = [];
    const text = this.text;
    while (!this.atEnd && this.indent === indent && this.isItem()) {
      let col = this.col + 1;
      while (text.charCodeAt(col) === 32) col++;
      if (col === this.col + 1 || col >= this.end || text.charCodeAt(col) === 35) notPlain();
      if (this.keys.at(text, col, this.end) !== undefined) {
        this.col = col;
        items.push(this.mapping(this.indent, depth + 1, this.lineNumber));
      } else {
        items.push(this.inline(col, depth + 1));
        this.nextLine();
      }
    }
    if (!this.atEnd && this.indent > indent) notPlain();
    return this.cite(items, depth, openLine);
  }

  private pair(map: Record<string, unknown>, indent: number, depth: number): void {
    const text = this.text;
    const key = this.keys.at(text, this.col, this.end) ?? notPlain();
    if (Object.hasOwn(map, key) || key === '__proto__') notPlain();
    const keyLine = this.lineNumber;
    let rest = afterKey(text, this.col, key);
    while (text.charCodeAt(rest) === 32) rest++;
    if (rest < this.end && text.charCodeAt(rest) !== 35) {
      map[key] = this.inline(rest, depth + 1);
      this.nextLine();
      return;
    }
    this.nextLine();
    if (this.atEnd || this.indent < indent || (this.indent === indent && !this.isItem())) map[key] = null;
    else if (this.isItem()) map[key] = this.sequence(this.indent, depth + 1, keyLine);
    else map[key] = this.mapping(this.indent, depth + 1, keyLine);
  }

  /** A value written on the current line from `start`: a scalar or a one-line flow collection. */
  private inline(start: number, depth: number): unknown {
    const { text, end } = this;
    const first = text.charCodeAt(start);
    // " ' [ {
    if (first === 34 || first === 39 || first === 91 || first === 123) {
      const line = this.lineNumber;
      const flow = new FlowReader(text, start, end, this.keys, (value, at) => this.cite(value, at, line));
      const value = flow.node(depth);
      if (!restIsBlank(text, flow.pos, end)) notPlain();
      return value;
    }
    // The value ends at a comment (" #"); a ": " or a final ":" inside it would make it a mapping.
    let valueEnd = start;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 32) {
        if (text.charCodeAt(i + 1) === 35) break;
      } else {
        if (c === 58 && (i + 1 === end || text.charCodeAt(i + 1) === 32)) notPlain();
        valueEnd = i + 1;
      }
    }
    return plainScalar(text.slice(start, valueEnd));
  }
}

/**
 * Reads keys. The keys of a file repeat (every entry has "number", "for", "reason"): each is sliced once
 * and reused, so property stores see the same internalised string.
 */
class Keys {
  private readonly known: string[] = [];

  /** The key at `pos` (plain, or double-quoted without escapes), when ":" and a space or the line's `end` follow. */
  at(text: string, pos: number, end: number): string | undefined {
    if (text.charCodeAt(pos) === 34) {
      const close = text.indexOf('"', pos + 1);
      const key = close < 0 || close > end ? undefined : text.slice(pos + 1, close);
      return key !== undefined && !key.includes('\\') && colonAt(text, close + 1, end) ? key : undefined;
    }
    if (!isKeyStart(text.charCodeAt(pos))) return undefined;
    let after = pos + 1;
    while (isKeyChar(text.charCodeAt(after))) after++;
    if (!colonAt(text, after, end)) return undefined;
    for (const key of this.known) if (key.length === after - pos && sameAt(text, pos, key)) return key;
    const key = text.slice(pos, after);
    if (NULL_OR_BOOL.has(key)) return undefined;
    if (this.known.length < 64) this.known.push(key);
    return key;
  }
}

function sameAt(text: string, pos: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (text.charCodeAt(pos + i) !== key.charCodeAt(i)) return false;
  return true;
}

/** Whether there is a colon at `pos` followed by a space or the line's `end`. */
function colonAt(text: string, pos: number, end: number): boolean {
  return text.charCodeAt(pos) === 58 && (pos + 1 === end || text.charCodeAt(pos + 1) === 32);
}

/** Whether the line from `pos` to `end` holds only spaces, or a comment after a space. */
function restIsBlank(text: string, pos: number, end: number): boolean {
  let i = pos;
  while (text.charCodeAt(i) === 32) i++;
  return i >= end || (i > pos && text.charCodeAt(i) === 35);
}

/** The position after the colon of `key`, written at `pos`. */
function afterKey(text: string, pos: number, key: string): number {
  return pos + key.length + (text.charCodeAt(pos) === 34 ? 3 : 1);
}

/**
 * True when `text`, written as a one-line plain scalar in block context, reads back as exactly this
 * string: no indicator first, no ": " or " #" inside, no space at either end, and no implicit type
 * (null, bool, int, float) claims it.
 */
export function readsAsString(text: string): boolean {
  const n = text.length;
  if (n === 0 || text.charCodeAt(0) === 32 || text.charCodeAt(n - 1) === 32 || text.charCodeAt(n - 1) === 58) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
    if ((c === 58 && text.charCodeAt(i + 1) === 32) || (c === 35 && text.charCodeAt(i - 1) === 32)) return false;
  }
  const first = text[0]!;
  if (INDICATORS.has(first)) return false;
  if ((first === '-' || first === '?' || first === ':') && (n === 1 || text[1] === ' ')) return false;
  return !(mayBeTyped(text.charCodeAt(0)) && IMPLICIT.some((type) => type.resolve(text)));
}

function plainScalar(text: string): unknown {
  if (text === '') notPlain();
  const first = text[0]!;
  if (INDICATORS.has(first)) notPlain();
  if ((first === '-' || first === '?' || first === ':') && (text.length === 1 || text[1] === ' ')) notPlain();
  if (mayBeTyped(text.charCodeAt(0))) {
    for (const type of IMPLICIT) if (type.resolve(text)) return type.construct(text);
  }
  return text;
}

/** One-line flow collections and quoted scalars, as in `for: { users: [u1, u2] }` or `number: "+44..."`. */
class FlowReader {
  constructor(
    private readonly text: string,
    public pos: number,
    private readonly end: number,
    private readonly keys: Keys,
    private readonly cite: <T extends object>(value: T, depth: number) => T,
  ) {}

  node(depth: number): unknown {
    this.spaces();
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.quoted(c);
    if (c === '[') return this.collection(']', depth, [] as unknown[], (items) => items.push(this.node(depth + 1)));
    if (c === '{') {
      return this.collection('}', depth, {} as Record<string, unknown>, (map) => {
        const key = this.keys.at(this.text, this.pos, this.end) ?? notPlain();
        if (Object.hasOwn(map, key) || key === '__proto__') notPlain();
        this.pos = afterKey(this.text, this.pos, key);
        map[key] = this.node(depth + 1);
      });
    }
    return this.plain();
  }

  private collection<T extends object>(close: string, depth: number, value: T, readItem: (value: T) => void): T {
    this.pos++;
    this.spaces();
    if (this.text[this.pos] === close) {
      this.pos++;
    } else {
      for (;;) {
        readItem(value);
        this.spaces();
        const c = this.pos < this.end ? this.text[this.pos++] : notPlain();
        if (c === close) break;
        if (c !== ',') notPlain();
        this.spaces();
        if (this.text[this.pos] === close) notPlain();
      }
    }
    return this.cite(value, depth);
  }

  private quoted(quote: string): string {
    const close = this.text.indexOf(quote, this.pos + 1);
    if (close < 0 || close > this.end) notPlain();
    const inner = this.text.slice(this.pos + 1, close);
    // Escapes and doubled quotes are left to js-yaml.
    if ((quote === '"' && inner.includes('\\')) || this.text[close + 1] === quote) notPlain();
    this.pos = close + 1;
    return inner;
  }

  private plain(): unknown {
    const start = this.pos;
    while (this.pos < this.end && !',[]{}#:'.includes(this.text[this.pos]!)) this.pos++;
    if (this.text[this.pos] === ':' || this.text[this.pos] === '#') notPlain();
    return plainScalar(this.text.slice(start, this.pos).trimEnd());
  }

  private spaces(): void {
    while (this.text.charCodeAt(this.pos) === 32) this.pos++;
  }
}

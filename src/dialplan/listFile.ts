import { readsAsString } from './plainYaml.js';

/**
 * A reader for the form list files take when a generator writes them (100,000 entries and more):
 *
 *   allow:
 *     - number: "+442070000000"          (or prefix:, always quoted)
 *       for: { users: [u1, u2] }         (or everyone; users, extensions and/or classes)
 *       reason: Project line 1
 *       approver: Head of Telecoms
 *       until: 2027-12-31                (and/or from:, a bare date)
 *
 * It gives each entry, in turn, as the values YAML gives and the schema accepts, with the line its item
 * starts on, in one item object it reuses (no object per entry), many times faster than reading the
 * file as YAML and checking its shape; on anything else (other indentation, flow or quoted forms it does
 * not know, a missing or repeated key, a value the schema would refuse) it gives up and the file is read
 * the general way, which reports any problem.
 */
export interface ListItem {
  /** 1-based line of the item's "- ". */
  line: number;
  /** Which of number: and prefix: was written, and its digits with their plus. */
  field: 'number' | 'prefix';
  digits: string;
  /** `for: everyone`; else the names under each selector, in the order written (a selector not written is empty). */
  everyone: boolean;
  users: readonly string[];
  extensions: readonly string[];
  classes: readonly string[];
  reason: string;
  approver: string | undefined;
  /** Bare dates as written. */
  from: string | undefined;
  until: string | undefined;
}

/** Takes each entry as it is read (the item is reused for the next); false gives up on the file. */
export type ListItemSink = (kind: 'allow' | 'deny', item: Readonly<ListItem>) => boolean;

const SPACE = 32;
const HASH = 35;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const OPEN_SEQ = 91;
const CLOSE_SEQ = 93;
const OPEN_MAP = 123;
const CLOSE_MAP = 125;
const isDigit = (c: number) => c >= 48 && c <= 57;
/** Characters of a name in a `for:` list: letters, digits, `_ . @ -` (never a flow indicator or a space). */
const isNameChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 46 || c === 64 || c === 45;
const COLON = 58;
const SELECTORS = ['users', 'extensions', 'classes'] as const;
/** A selector not written: a list of no names, shared. */
const NONE: readonly string[] = [];

class NotThisForm extends Error {}
const giveUp = (): never => {
  throw new NotThisForm();
};

/** Reads `text`, giving `sink` each entry; false when it is not in this form or the sink gave up. */
export function readListFile(text: string, sink: ListItemSink): boolean {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) return false;
  try {
    new ListFileReader(text, sink).read();
    return true;
  } catch (error) {
    if (error instanceof NotThisForm) return false;
    throw error;
  }
}

/** The number of spaces text[start, end) begins with. */
function indentOf(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && text.charCodeAt(i) === SPACE) i++;
  return i - start;
}

/** The keys an entry may have; bit 1 << k of `written` says KEYS[k] was. */
const KEYS = ['number', 'prefix', 'for', 'reason', 'approver', 'from', 'until'] as const;
const NUMBER = 0;
const PREFIX = 1;
const FOR = 2;
const REASON = 3;
const APPROVER = 4;
const FROM = 5;
const UNTIL = 6;

class ListFileReader {
  private kind: 'allow' | 'deny' = 'allow';
  /** Sections met, and the items of the one being read. */
  private readonly sections = new Set<string>();
  private items = 0;
  /** The item being read: its line is 0 when there is none. */
  private readonly item: ListItem = { line: 0, field: 'number', digits: '', everyone: false, users: [], extensions: [], classes: [], reason: '', approver: undefined, from: undefined, until: undefined };
  private written = 0;

  constructor(
    private readonly text: string,
    private readonly sink: ListItemSink,
  ) {}

  read(): void {
    const text = this.text;
    let start = 0;
    for (let n = 1; start < text.length; n++) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const indent = indentOf(text, start, end);
      if (start + indent === end || text.charCodeAt(start + indent) === HASH) {
        // a blank or comment line
      } else if (indent === 0) {
        const key = text.slice(start, end);
        if (key === 'allow:') this.open('allow');
        else if (key === 'deny:') this.open('deny');
        else giveUp();
      } else if (indent === 2 && this.sections.size > 0 && text.charCodeAt(start + 2) === 45 && text.charCodeAt(start + 3) === SPACE && text.charCodeAt(start + 4) !== SPACE) {
        this.close();
        this.begin(n);
        this.pair(start + 4, end);
      } else if (indent === 4 && this.item.line > 0) {
        this.pair(start + 4, end);
      } else giveUp();
      start = end + 1;
    }
    this.close();
    // An empty section reads as null: for the general way.
    if (this.items === 0) giveUp();
  }

  private open(kind: 'allow' | 'deny'): void {
    this.close();
    // A section written twice is an error, and an empty one reads as null: both for the general way.
    if ((this.sections.size > 0 && this.items === 0) || this.sections.has(kind)) giveUp();
    this.sections.add(kind);
    this.kind = kind;
    this.items = 0;
  }

  private begin(line: number): void {
    const item = this.item;
    item.line = line;
    item.everyone = false;
    item.users = NONE;
    item.extensions = NONE;
    item.classes = NONE;
    item.approver = undefined;
    item.from = undefined;
    item.until = undefined;
    this.written = 0;
  }

  /** The item read, when it has what the schema requires: exactly one of number and prefix, for, reason, and an approver to allow. */
  private close(): void {
    if (this.item.line === 0) return;
    const w = this.written;
    const has = (k: number) => (w & (1 << k)) !== 0;
    if (has(NUMBER) === has(PREFIX) || !has(FOR) || !has(REASON) || (this.kind === 'allow' && !has(APPROVER))) giveUp();
    if (!this.sink(this.kind, this.item)) giveUp();
    this.items++;
    this.item.line = 0;
  }

  /** One `key: value` of an item on text[start, end), as YAML would read it, or give up. */
  private pair(start: number, end: number): void {
    const text = this.text;
    let colon = start;
    while (colon < end && text.charCodeAt(colon) !== COLON) colon++;
    if (colon + 2 > end || text.charCodeAt(colon + 1) !== SPACE || text.charCodeAt(colon + 2) === SPACE) giveUp();
    const key = keyOf(text, start, colon);
    if (key < 0 || (this.written & (1 << key)) !== 0) giveUp();
    this.written |= 1 << key;
    const from = colon + 2;
    const item = this.item;
    if (key === NUMBER || key === PREFIX) {
      item.field = key === NUMBER ? 'number' : 'prefix';
      item.digits = quotedNumber(text, from, end);
    } else if (key === FROM) item.from = bareDate(text, from, end);
    else if (key === UNTIL) item.until = bareDate(text, from, end);
    else if (key === FOR) this.appliesTo(from, end);
    else {
      const value = text.slice(from, end);
      if (!readsAsString(value)) giveUp();
      if (key === REASON) item.reason = value;
      else item.approver = value;
    }
  }

  /** `everyone`, or a one-line flow mapping `{ users: [a, b], classes: [staff] }`, each list of plain names and not empty. */
  private appliesTo(start: number, end: number): void {
    const text = this.text;
    if (end - start === 8 && text.startsWith('everyone', start)) {
      this.item.everyone = true;
      return;
    }
    if (text.charCodeAt(start) !== OPEN_MAP || text.charCodeAt(start + 1) !== SPACE || text.charCodeAt(end - 1) !== CLOSE_MAP || text.charCodeAt(end - 2) !== SPACE) giveUp();
    let i = start + 2;
    const spaces = () => {
      while (text.charCodeAt(i) === SPACE) i++;
    };
    for (;;) {
      let colon = i;
      while (colon < end && text.charCodeAt(colon) !== COLON) colon++;
      const selector = SELECTORS[selectorOf(text, i, colon)] ?? giveUp();
      if (this.item[selector] !== NONE) giveUp(); // written twice
      const names: string[] = (this.item[selector] = []);
      i = colon + 1;
      spaces();
      if (text.charCodeAt(i++) !== OPEN_SEQ) giveUp();
      for (;;) {
        spaces();
        const nameStart = i;
        while (isNameChar(text.charCodeAt(i))) i++;
        const name = text.slice(nameStart, i);
        if (!readsAsString(name)) giveUp();
        names.push(name);
        spaces();
        const c = text.charCodeAt(i++);
        if (c === CLOSE_SEQ) break;
        if (c !== COMMA) giveUp();
      }
      spaces();
      if (i === end) giveUp();
      if (i === end - 1) return; // the closing brace
      if (text.charCodeAt(i++) !== COMMA) giveUp();
      spaces();
    }
  }
}

/** Which of KEYS is written on text[start, colon), or -1. */
function keyOf(text: string, start: number, colon: number): number {
  const length = colon - start;
  for (let k = 0; k < KEYS.length; k++) if (KEYS[k]!.length === length && isWrittenAt(text, start, KEYS[k]!)) return k;
  return -1;
}

/** Which of SELECTORS is written on text[start, colon), or -1. */
function selectorOf(text: string, start: number, colon: number): number {
  const length = colon - start;
  for (let k = 0; k < SELECTORS.length; k++) if (SELECTORS[k]!.length === length && isWrittenAt(text, start, SELECTORS[k]!)) return k;
  return -1;
}

/** Whether `word` is written at text[start]: compared a character at a time, which the compiler inlines (startsWith it does not). */
function isWrittenAt(text: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (text.charCodeAt(start + i) !== word.charCodeAt(i)) return false;
  return true;
}

/** `"+4420..."` or `"999"`: the digits, with their plus. */
function quotedNumber(text: string, start: number, end: number): string {
  if (end - start < 3 || text.charCodeAt(start) !== QUOTE || text.charCodeAt(end - 1) !== QUOTE) giveUp();
  let i = start + 1;
  if (text.charCodeAt(i) === PLUS) i++;
  if (i === end - 1) giveUp();
  for (; i < end - 1; i++) if (!isDigit(text.charCodeAt(i))) giveUp();
  return text.slice(start + 1, end - 1);
}

/** A bare `2027-12-31` (a string to YAML's core schema; the loader reads its meaning). */
function bareDate(text: string, start: number, end: number): string {
  if (end - start !== 10) giveUp();
  for (let i = 0; i < 10; i++) {
    const c = text.charCodeAt(start + i);
    if (i === 4 || i === 7 ? c !== 45 : !isDigit(c)) giveUp();
  }
  return text.slice(start, end);
}

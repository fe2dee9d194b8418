import { giveUp, isDigit, plainString, quotedDigits, readFlatItems, wordAt, type FlatItemForm } from './flatItems.js';
import { readsAsString } from './plainYaml.js';

/**
 * A reader for the form list files take when a generator writes them (100,000 entries and more, in the
 * flat form of flatItems.ts):
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
const COMMA = 44;
const COLON = 58;
const OPEN_SEQ = 91;
const CLOSE_SEQ = 93;
const OPEN_MAP = 123;
const CLOSE_MAP = 125;
/** Characters of a name in a `for:` list: letters, digits, `_ . @ -` (never a flow indicator or a space). */
const isNameChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 46 || c === 64 || c === 45;
const SELECTORS = ['users', 'extensions', 'classes'] as const;
/** A selector not written: a list of no names, shared. */
const NONE: readonly string[] = [];

/** Reads `text`, giving `sink` each entry; false when it is not in this form or the sink gave up. */
export function readListFile(text: string, sink: ListItemSink): boolean {
  return readFlatItems(text, new ListForm(sink));
}

const SECTIONS = ['allow', 'deny'] as const;
/** The keys an entry may have, as FlatItemForm numbers them. */
const KEYS = ['number', 'prefix', 'for', 'reason', 'approver', 'from', 'until'] as const;
const NUMBER = 0;
const PREFIX = 1;
const FOR = 2;
const REASON = 3;
const APPROVER = 4;
const FROM = 5;
const UNTIL = 6;

class ListForm implements FlatItemForm {
  readonly sections = SECTIONS;
  readonly keys = KEYS;
  private kind: 'allow' | 'deny' = 'allow';
  /** The item being read, reused. */
  private readonly item: ListItem = { line: 0, field: 'number', digits: '', everyone: false, users: NONE, extensions: NONE, classes: NONE, reason: '', approver: undefined, from: undefined, until: undefined };

  constructor(private readonly sink: ListItemSink) {}

  section(section: number): void {
    this.kind = SECTIONS[section]!;
  }

  begin(line: number): void {
    const item = this.item;
    item.line = line;
    item.everyone = false;
    item.users = NONE;
    item.extensions = NONE;
    item.classes = NONE;
    item.approver = undefined;
    item.from = undefined;
    item.until = undefined;
  }

  value(key: number, text: string, start: number, end: number): void {
    const item = this.item;
    if (key === NUMBER || key === PREFIX) {
      item.field = key === NUMBER ? 'number' : 'prefix';
      item.digits = quotedDigits(text, start, end, 'maybe plus', 1, Infinity);
    } else if (key === FROM) item.from = bareDate(text, start, end);
    else if (key === UNTIL) item.until = bareDate(text, start, end);
    else if (key === FOR) this.appliesTo(text, start, end);
    else if (key === REASON) item.reason = plainString(text, start, end);
    else item.approver = plainString(text, start, end);
  }

  /** The item read, when it has what the schema requires: exactly one of number and prefix, for, reason, and an approver to allow. */
  close(written: number): void {
    const has = (k: number) => (written & (1 << k)) !== 0;
    if (has(NUMBER) === has(PREFIX) || !has(FOR) || !has(REASON) || (this.kind === 'allow' && !has(APPROVER))) giveUp();
    if (!this.sink(this.kind, this.item)) giveUp();
  }

  /** `everyone`, or a one-line flow mapping `{ users: [a, b], classes: [staff] }`, each list of plain names and not empty. */
  private appliesTo(text: string, start: number, end: number): void {
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
      const selector = SELECTORS[wordAt(text, i, colon, SELECTORS)] ?? giveUp();
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

/** A bare `2027-12-31` (a string to YAML's core schema; the loader reads its meaning). */
function bareDate(text: string, start: number, end: number): string {
  if (end - start !== 10) giveUp();
  for (let i = 0; i < 10; i++) {
    const c = text.charCodeAt(start + i);
    if (i === 4 || i === 7 ? c !== 45 : !isDigit(c)) giveUp();
  }
  return text.slice(start, end);
}

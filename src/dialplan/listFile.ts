import type { Cites } from './located.js';
import { readsAsString } from './plainYaml.js';
import type { AppliesToFile, ListEntryFile } from './schema.js';
import type { YamlPath } from './sourceFile.js';

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
 * It gives each entry as the value YAML gives and the schema accepts, with the line its item starts on,
 * about ten times faster than reading the file as YAML and checking its shape; on anything else (other
 * indentation, flow or quoted forms it does not know, a missing or repeated key, a value the schema
 * would refuse) it gives up and the file is read the general way, which reports any problem.
 */
export interface ListItem {
  value: ListEntryFile;
  /** 1-based line of the item's "- ". */
  line: number;
}

export interface ListFileData {
  allow: ListItem[];
  deny: ListItem[];
}

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
const SELECTORS = new Set(['users', 'extensions', 'classes']);

class NotThisForm extends Error {}
const giveUp = (): never => {
  throw new NotThisForm();
};

export function readListFile(text: string): ListFileData | undefined {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return read(text);
  } catch (error) {
    if (error instanceof NotThisForm) return undefined;
    throw error;
  }
}

/** The number of spaces text[start, end) begins with. */
function indentOf(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && text.charCodeAt(i) === SPACE) i++;
  return i - start;
}

function read(text: string): ListFileData {
  const data: ListFileData = { allow: [], deny: [] };
  let section: ListItem[] | undefined;
  let kind: 'allow' | 'deny' = 'allow';
  // The item being read: its line (0: none) and its values by key.
  let itemLine = 0;
  const values: Values = [undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  const close = () => {
    if (itemLine > 0) section!.push({ value: entryOf(values, kind), line: itemLine });
    itemLine = 0;
    values.fill(undefined);
  };
  const open = (next: 'allow' | 'deny') => {
    close();
    // A section written twice is an error, and an empty one reads as null: both for the general way.
    if (section?.length === 0 || data[next].length > 0 || section === data[next]) giveUp();
    kind = next;
    section = data[next];
  };
  let start = 0;
  for (let n = 1; start < text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const indent = indentOf(text, start, end);
    if (start + indent === end || text.charCodeAt(start + indent) === HASH) {
      // a blank or comment line
    } else if (indent === 0) {
      const key = text.slice(start, end);
      if (key === 'allow:') open('allow');
      else if (key === 'deny:') open('deny');
      else giveUp();
    } else if (indent === 2 && section && text.charCodeAt(start + 2) === 45 && text.charCodeAt(start + 3) === SPACE && text.charCodeAt(start + 4) !== SPACE) {
      close();
      itemLine = n;
      pair(values, text, start + 4, end);
    } else if (indent === 4 && itemLine > 0) {
      pair(values, text, start + 4, end);
    } else giveUp();
    start = end + 1;
  }
  close();
  if (section === undefined || section.length === 0) giveUp();
  return data;
}

/** The keys an entry may have, in the order `Values` holds them. */
const KEYS = ['number', 'prefix', 'for', 'reason', 'approver', 'from', 'until'] as const;
const NUMBER = 0;
const PREFIX = 1;
const FOR = 2;
const FROM = 5;
const UNTIL = 6;
type Values = [string?, string?, AppliesToFile?, string?, string?, string?, string?];

/** Which of KEYS is written on text[start, colon), or -1. */
function keyOf(text: string, start: number, colon: number): number {
  const length = colon - start;
  for (let k = 0; k < KEYS.length; k++) if (KEYS[k]!.length === length && text.startsWith(KEYS[k]!, start)) return k;
  return -1;
}

/** One `key: value` of an item on text[start, end), as YAML would read it, or give up. */
function pair(values: Values, text: string, start: number, end: number): void {
  const colon = text.indexOf(': ', start);
  if (colon < 0 || colon >= end || text.charCodeAt(colon + 2) === SPACE) giveUp();
  const key = keyOf(text, start, colon);
  if (key < 0 || values[key] !== undefined) giveUp();
  const from = colon + 2;
  if (key === NUMBER || key === PREFIX) values[key] = quotedNumber(text, from, end);
  else if (key === FROM || key === UNTIL) values[key] = bareDate(text, from, end);
  else if (key === FOR) values[key] = appliesTo(text, from, end);
  else {
    const value = text.slice(from, end);
    if (!readsAsString(value)) giveUp();
    values[key] = value;
  }
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

/** `everyone`, or a one-line flow mapping `{ users: [a, b], classes: [staff] }`, each list of plain names and not empty. */
function appliesTo(text: string, start: number, end: number): AppliesToFile {
  if (end - start === 8 && text.startsWith('everyone', start)) return 'everyone';
  if (text.charCodeAt(start) !== OPEN_MAP || text.charCodeAt(start + 1) !== SPACE || text.charCodeAt(end - 1) !== CLOSE_MAP || text.charCodeAt(end - 2) !== SPACE) giveUp();
  const who: Record<string, string[]> = {};
  let i = start + 2;
  const spaces = () => {
    while (text.charCodeAt(i) === SPACE) i++;
  };
  for (;;) {
    const colon = text.indexOf(':', i);
    if (colon < 0 || colon >= end) giveUp();
    const key = text.slice(i, colon);
    if (!SELECTORS.has(key) || Object.hasOwn(who, key)) giveUp();
    i = colon + 1;
    spaces();
    if (text.charCodeAt(i++) !== OPEN_SEQ) giveUp();
    const names: string[] = [];
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
    who[key] = names;
    spaces();
    if (i === end) giveUp();
    if (i === end - 1) return who; // the closing brace
    if (text.charCodeAt(i++) !== COMMA) giveUp();
    spaces();
  }
}

/** The entry, when it has what the schema requires: exactly one of number and prefix, for, reason, and an approver to allow. */
function entryOf(values: Values, kind: 'allow' | 'deny'): ListEntryFile {
  const [number, prefix, who, reason, approver, from, until] = values;
  if ((number === undefined) === (prefix === undefined) || who === undefined || reason === undefined || (kind === 'allow' && approver === undefined)) giveUp();
  // Only the keys written, as YAML gives them.
  const entry: ListEntryFile = number !== undefined ? { number, for: who!, reason: reason! } : { prefix, for: who!, reason: reason! };
  if (approver !== undefined) entry.approver = approver;
  if (from !== undefined) entry.from = from;
  if (until !== undefined) entry.until = until;
  return entry;
}

/**
 * Where the entries of a list file read the quick way were written: the line of each item, which is
 * what decisions cite. Problems are never reported from here (the file is read again the general way),
 * so a value's place is its item's line.
 */
export class ListFileCites implements Cites {
  constructor(
    readonly path: string,
    private readonly data: ListFileData,
  ) {}

  line(path: YamlPath): string {
    const [kind, index] = path as ['allow' | 'deny', number];
    return `${this.path}:${this.data[kind][index]!.line}`;
  }

  at(path: YamlPath): string {
    return this.line(path);
  }
}

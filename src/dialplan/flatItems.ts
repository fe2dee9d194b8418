import { Buffer } from 'node:buffer';
import { readsAsString } from './plainYaml.js';

/**
 * The form generators write large admin files in (100,000 list entries, 50,000 extensions): top-level
 * sections, each a sequence of flat mappings, one `key: value` a line, two spaces of indentation:
 *
 *   section:
 *     - key: value
 *       key: value
 *
 * A `FlatItemForm` says which sections and keys a kind of file has and reads each value; the walk over
 * the lines is here. Anything the form does not know (other indentation, a key written twice, a value
 * it cannot read exactly as YAML and the schema would) gives up, and the file is read the general way,
 * which reports any problem at its line and column.
 */
export interface FlatItemForm {
  /** Top-level keys the file may have (each at most once, none empty). */
  readonly sections: readonly string[];
  /** Keys an item may have, each at most once; bit 1 << k of `written` is keys[k]. */
  readonly keys: readonly string[];
  /** sections[section] opens on `line` (1-based). */
  section(section: number, line: number): void;
  /** An item of that section opens on `line`. */
  begin(line: number): void;
  /** The item's keys[key] has its value on text[start, end); `giveUp()` if it cannot be read exactly. */
  value(key: number, text: string, start: number, end: number): void;
  /** The item is complete: check what it must have written, and take it; `giveUp()` if it cannot. */
  close(written: number): void;
}

class NotThisForm extends Error {}
export const giveUp = (): never => {
  throw new NotThisForm();
};

const SPACE = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const DELETE = 127;

/** Reads `text` into `form`; false when it is not in the form (or the form gave up). */
export function readFlatItems(text: string, form: FlatItemForm): boolean {
  // Printable ASCII and line feeds only, in comments too, so js-yaml never refuses what these readers read: ASCII
  // (as many UTF-8 bytes as characters, which is quick to count) without carriage returns here; every value is
  // read character by character, and so is each comment (below).
  if (Buffer.byteLength(text, 'utf8') !== text.length || text.includes('\r')) return false;
  try {
    walk(text, form);
    return true;
  } catch (error) {
    if (error instanceof NotThisForm) return false;
    throw error;
  }
}

function walk(text: string, form: FlatItemForm): void {
  let section = -1;
  let seen = 0;
  let items = 0;
  let open = false;
  let written = 0;
  const close = () => {
    if (open) form.close(written);
    open = false;
  };
  let start = 0;
  for (let n = 1; start < text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let content = start;
    while (content < end && text.charCodeAt(content) === SPACE) content++;
    const indent = content - start;
    if (content === end) {
      // a blank line
    } else if (text.charCodeAt(content) === HASH) {
      for (let i = content; i < end; i++) if (text.charCodeAt(i) < SPACE || text.charCodeAt(i) === DELETE) giveUp();
    } else if (indent === 0) {
      close();
      // A section written twice is an error, and an empty one reads as null: both for the general way.
      const next = form.sections.findIndex((s) => end - start === s.length + 1 && text.startsWith(s, start) && text.charCodeAt(end - 1) === COLON);
      if (next < 0 || (seen & (1 << next)) !== 0 || (section >= 0 && items === 0)) giveUp();
      seen |= 1 << next;
      section = next;
      items = 0;
      form.section(next, n);
    } else if (indent === 2 && section >= 0 && text.charCodeAt(content) === DASH && text.charCodeAt(content + 1) === SPACE && text.charCodeAt(content + 2) !== SPACE) {
      close();
      form.begin(n);
      open = true;
      items++;
      written = pair(text, form, content + 2, end, 0);
    } else if (indent === 4 && open) {
      written = pair(text, form, content, end, written);
    } else giveUp();
    start = end + 1;
  }
  close();
  if (items === 0) giveUp();
}

/** One `key: value` of an item on text[start, end): the item's `written` bits with this key's. */
function pair(text: string, form: FlatItemForm, start: number, end: number, written: number): number {
  let colon = start;
  while (colon < end && text.charCodeAt(colon) !== COLON) colon++;
  if (colon + 2 > end || text.charCodeAt(colon + 1) !== SPACE || text.charCodeAt(colon + 2) === SPACE) giveUp();
  const key = wordAt(text, start, colon, form.keys);
  if (key < 0 || (written & (1 << key)) !== 0) giveUp();
  form.value(key, text, colon + 2, end);
  return written | (1 << key);
}

/** Which of `words` is written on text[start, end), or -1. */
export function wordAt(text: string, start: number, end: number, words: readonly string[]): number {
  for (let k = 0; k < words.length; k++) if (words[k]!.length === end - start && isWrittenAt(text, start, words[k]!)) return k;
  return -1;
}

/** Whether `word` is written at text[start], a character at a time (startsWith was a hot spot in the profile of a 100,000-entry load). */
function isWrittenAt(text: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (text.charCodeAt(start + i) !== word.charCodeAt(i)) return false;
  return true;
}

export const isDigit = (c: number) => c >= 48 && c <= 57;

/** text[start, end) as the plain one-line scalar it is, when YAML reads it as exactly that string. */
export function plainString(text: string, start: number, end: number): string {
  const value = text.slice(start, end);
  return readsAsString(value) ? value : giveUp();
}

/** `"digits"` (with a plus when `plus`), `min` to `max` digits: the text between the quotes. */
export function quotedDigits(text: string, start: number, end: number, plus: 'plus' | 'maybe plus' | 'no plus', min: number, max: number): string {
  if (text.charCodeAt(start) !== 34 || text.charCodeAt(end - 1) !== 34) giveUp();
  let i = start + 1;
  if (text.charCodeAt(i) === 43 && plus !== 'no plus') i++;
  else if (plus === 'plus') giveUp();
  const digits = end - 1 - i;
  if (digits < min || digits > max) giveUp();
  for (; i < end - 1; i++) if (!isDigit(text.charCodeAt(i))) giveUp();
  return text.slice(start + 1, end - 1);
}

import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parse, type Document, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';

/**
 * Edits to an admin's YAML text that touch only what changed: a changed value is replaced where it
 * stands (its line's comment stays), a new entry is appended after the last one with the same
 * indentation, a removed entry's lines go. Everything else in the file stays byte for byte.
 */

type Value = string | number | boolean | Value[] | { [key: string]: Value };

function scalarText(s: string): string {
  if (s !== '' && s.trim() === s && !/[\n\r\t]/.test(s)) {
    try {
      if (isDeepStrictEqual(parse(`[${s}]`), [s]) && isDeepStrictEqual(parse(`v: ${s}`), { v: s })) return s;
    } catch {
      // not a plain scalar
    }
  }
  return JSON.stringify(s);
}

function render(value: Value): string {
  if (typeof value === 'string') return scalarText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${render(v)}`).join(', ')} }`;
}

/** One-line YAML for a value, in the style of the sample files; JSON (valid YAML) if anything is in doubt. */
export function inline(value: Value, quoted = false): string {
  const text = quoted && typeof value === 'string' ? JSON.stringify(value) : render(value);
  try {
    if (isDeepStrictEqual(parse(`v: ${text}`), { v: value })) return text;
  } catch {
    // fall through
  }
  return JSON.stringify(value);
}

/** Keys whose values are always double-quoted (numbers that must keep their leading + and zeros). */
const QUOTED = new Set(['number', 'prefix']);

function entryLines(entry: Record<string, Value>, dashIndent: string): string {
  const keys = Object.keys(entry);
  return keys.map((k, i) => `${i === 0 ? `${dashIndent}- ` : `${dashIndent}  `}${k}: ${inline(entry[k]!, QUOTED.has(k))}\n`).join('');
}

const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1;
const lineEnd = (text: string, at: number) => {
  if (at > 0 && text[at - 1] === '\n') return at;
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
};

interface Splice {
  start: number;
  end: number;
  text: string;
}

function apply(text: string, splices: Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

function blockItems(doc: Document, section: string): YAMLSeq<YAMLMap> | undefined {
  const seq = doc.get(section, true);
  return isSeq(seq) && !seq.flow && seq.items.length > 0 && seq.items.every((i) => isMap(i) && !i.flow && i.range) ? (seq as YAMLSeq<YAMLMap>) : undefined;
}

const STRINGIFY = { lineWidth: 0, flowCollectionPadding: false } as const;

/** Appends an entry to `section` (creating the section at the end of the file if it has none). */
export function appendEntry(text: string, doc: Document, section: string, entry: Record<string, Value>): string {
  const seq = blockItems(doc, section);
  if (seq) {
    const first = seq.items[0]!;
    const last = seq.items[seq.items.length - 1]!;
    const keyColumn = first.range![0] - lineStart(text, first.range![0]);
    const dashIndent = ' '.repeat(Math.max(0, keyColumn - 2));
    const at = lineEnd(text, last.range![2]);
    const prefix = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
    return text.slice(0, at) + prefix + entryLines(entry, dashIndent) + text.slice(at);
  }
  if (!doc.has(section)) return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${section}:\n${entryLines(entry, '  ')}`;
  // A flow or empty sequence: let the document API write it.
  const node = doc.get(section, true);
  if (isSeq(node)) node.items.push(doc.createNode(entry) as never);
  else doc.set(section, doc.createNode([entry]));
  return doc.toString(STRINGIFY);
}

/** Replaces entry `index` of `section` with `entry`: changed values in place, new keys appended, dropped keys' lines removed. */
export function changeEntry(text: string, doc: Document, section: string, index: number, entry: Record<string, Value>): string {
  const seq = blockItems(doc, section);
  const item = seq?.items[index];
  if (!seq || !item) {
    const node = doc.get(section, true) as YAMLSeq;
    node.items[index] = doc.createNode(entry) as never;
    return doc.toString(STRINGIFY);
  }
  const pairs = item.items as Pair[];
  const keyOf = (p: Pair) => (isScalar(p.key) ? String(p.key.value) : '');
  const firstKey = pairs[0] ? keyOf(pairs[0]) : '';
  const keyColumn = item.range![0] - lineStart(text, item.range![0]);
  const simple = pairs.every((p) => isScalar(p.key) && p.key.range && p.value && (p.value as { range?: unknown }).range);
  if (!simple || !(firstKey in entry)) {
    // Re-write this entry only.
    const start = lineStart(text, item.range![0]);
    return text.slice(0, start) + entryLines(entry, ' '.repeat(Math.max(0, keyColumn - 2))) + text.slice(lineEnd(text, item.range![2]));
  }
  const splices: Splice[] = [];
  const seen = new Set<string>();
  for (const [i, pair] of pairs.entries()) {
    const key = keyOf(pair);
    seen.add(key);
    const valueNode = pair.value as { range: [number, number, number]; toJSON(): unknown };
    const next = entry[key];
    if (next === undefined) {
      const start = lineStart(text, (pair.key as { range: [number, number, number] }).range[0]);
      const end = pairs[i + 1] ? lineStart(text, (pairs[i + 1]!.key as { range: [number, number, number] }).range[0]) : lineEnd(text, valueNode.range[2]);
      splices.push({ start, end, text: '' });
    } else if (!isDeepStrictEqual(valueNode.toJSON(), next)) {
      const multiLine = text.slice(valueNode.range[0], valueNode.range[1]).includes('\n');
      splices.push({ start: valueNode.range[0], end: multiLine ? lineEnd(text, valueNode.range[1]) - 1 : valueNode.range[1], text: inline(next, QUOTED.has(key)) });
    }
  }
  const added = Object.keys(entry).filter((k) => !seen.has(k));
  if (added.length > 0) {
    const at = lineEnd(text, item.range![2]);
    const indent = ' '.repeat(keyColumn);
    splices.push({ start: at, end: at, text: added.map((k) => `${indent}${k}: ${inline(entry[k]!, QUOTED.has(k))}\n`).join('') });
  }
  return apply(text, splices);
}

/** Removes entry `index` of `section`; the last entry leaves `section: []`. */
export function removeEntry(text: string, doc: Document, section: string, index: number): string {
  const seq = blockItems(doc, section);
  if (seq && seq.items.length > 1 && seq.items[index]) {
    const item = seq.items[index]!;
    return text.slice(0, lineStart(text, item.range![0])) + text.slice(lineEnd(text, item.range![2]));
  }
  const node = doc.get(section, true) as YAMLSeq;
  node.items.splice(index, 1);
  if (node.items.length === 0) node.flow = true;
  return doc.toString(STRINGIFY);
}

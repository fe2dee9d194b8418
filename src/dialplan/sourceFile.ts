import { createRequire } from 'node:module';
import jsYaml from 'js-yaml';
import type { Document, LineCounter, Node } from 'yaml';
import { readExtensionFile } from './extensionFile.js';
import { readPlainYaml } from './plainYaml.js';
import type { Problem } from './problem.js';

export type YamlPath = readonly (string | number)[];

/** The `yaml` package, loaded only when a problem must be pinned to its column (it costs 50 ms to load). */
type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
const yaml = (): YamlModule => (yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule);

const CITED_DEPTH = 2;

interface Precise {
  doc: Document;
  lines: LineCounter;
}

/**
 * A parsed admin file that can say where any value in it was written. Plain files are read by
 * plainYaml.ts, others by js-yaml (about fifteen times faster than a full syntax tree on a 100,000-entry
 * file), either noting the line each mapping and sequence opens on; the `yaml` syntax tree with exact key and value positions is built only
 * when a problem must be pinned to its column.
 */
export class SourceFile {
  readonly data: unknown;
  readonly problems: Problem[] = [];
  /** True when the reader has already found the shape the schema requires (no schema pass is needed). */
  readonly shapeChecked: boolean;
  private readonly openedAt: Map<object, number>;
  private precise: Precise | undefined;
  private children: ChildLines | undefined;

  constructor(
    readonly path: string,
    private readonly text: string,
  ) {
    // A large extension file in the generated form is read by its own reader, which vouches for its shape.
    const extensions = readExtensionFile(text);
    this.shapeChecked = extensions !== undefined;
    const plain = extensions ?? readPlainYaml(text, CITED_DEPTH);
    if (plain) {
      this.data = plain.data;
      this.openedAt = plain.openedAt;
      return;
    }
    this.openedAt = new Map();
    const open: number[] = [];
    try {
      this.data = jsYaml.load(text, {
        filename: path,
        // CORE keeps dates as the strings admins wrote; the loader parses them with their meaning.
        schema: jsYaml.CORE_SCHEMA,
        listener: (event, state) => {
          if (event === 'open') open.push(state.line + 1);
          else {
            const line = open.pop()!;
            // Decisions cite sections and their items (document, section, item); deeper values are found on demand.
            if (open.length <= CITED_DEPTH && typeof state.result === 'object' && state.result !== null) this.openedAt.set(state.result, line);
          }
        },
      });
    } catch (error) {
      if (!(error instanceof jsYaml.YAMLException)) throw error;
      this.problems.push({ where: `${path}:${error.mark.line + 1}:${error.mark.column + 1}`, message: `YAML: ${error.reason}` });
    }
  }

  /** "file:line:column" of the value at `path`, or of its key when `key` is set; the nearest parent if absent. */
  at(path: YamlPath, key = false): string {
    const place = this.position(path, key);
    return place ? `${this.path}:${place.line}:${place.col}` : this.path;
  }

  /** "file:line", the form decisions cite. */
  line(path: YamlPath): string {
    const line = this.lineNumber(path);
    return line > 0 ? `${this.path}:${line}` : this.path;
  }

  /** The line of the value at `path` (0: not found): cheap for mappings and sequences, exact for anything else. */
  lineNumber(path: YamlPath): number {
    let value: unknown = this.data;
    for (const step of path) value = (value as Record<string | number, unknown> | undefined)?.[step];
    // Deeper mappings and scalars: the line of their key, from a second quick pass (never the slow syntax tree).
    const opened = (typeof value === 'object' && value !== null ? this.openedAt.get(value) : undefined) ?? this.lineOfChild(path);
    return opened ?? this.position(path, false)?.line ?? 0;
  }

  private position(path: YamlPath, key: boolean): { line: number; col: number } | undefined {
    const { doc, lines } = (this.precise ??= this.parsePrecisely());
    const offset = offsetOf(doc, path, key);
    return offset === undefined ? undefined : lines.linePos(offset);
  }

  /** The line a key (or sequence item) at `path` starts on, from a second js-yaml pass that notes every child's line. */
  private lineOfChild(path: YamlPath): number | undefined {
    if (path.length === 0) return undefined;
    const index = (this.children ??= childLines(this.text));
    let parent: unknown = index.data;
    for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown> | undefined)?.[step];
    const lines = typeof parent === 'object' && parent !== null ? index.lines.get(parent) : undefined;
    const last = path[path.length - 1]!;
    return Array.isArray(lines) ? lines[last as number] : lines?.get(String(last));
  }

  private parsePrecisely(): Precise {
    const { LineCounter, parseDocument } = yaml();
    const lines = new LineCounter();
    return { doc: parseDocument(this.text, { lineCounter: lines, uniqueKeys: true }), lines };
  }
}

interface ChildLines {
  data: unknown;
  /** Per mapping, the line of each key; per sequence, the line of each item. */
  lines: Map<object, Map<string, number> | number[]>;
}

/** Parses `text` again, noting the line of every key and sequence item (keys and values close in turn). */
function childLines(text: string): ChildLines {
  const lines = new Map<object, Map<string, number> | number[]>();
  const frames: { line: number; children: { value: unknown; line: number }[] }[] = [];
  let data: unknown;
  try {
    data = jsYaml.load(text, {
      schema: jsYaml.CORE_SCHEMA,
      listener: (event, state) => {
        if (event === 'open') return void frames.push({ line: state.line + 1, children: [] });
        const frame = frames.pop()!;
        const value = state.result as unknown;
        frames.at(-1)?.children.push({ value, line: frame.line });
        if (typeof value !== 'object' || value === null) return;
        if (Array.isArray(value)) lines.set(value, frame.children.map((c) => c.line));
        else {
          const keys = new Map<string, number>();
          for (let i = 0; i + 1 < frame.children.length; i += 2) keys.set(String(frame.children[i]!.value), frame.children[i]!.line);
          lines.set(value, keys);
        }
      },
    });
  } catch {
    data = undefined; // a file that does not parse has already been reported
  }
  return { data, lines };
}

function offsetOf(doc: Document, path: YamlPath, key: boolean): number | undefined {
  const { isMap, isScalar } = yaml();
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    if (key && depth === path.length && depth > 0) {
      const parent = doc.getIn(sub.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(sub[sub.length - 1]));
        const range = (pair?.key as Node | undefined)?.range;
        if (range) return range[0];
      }
    }
    const node = (sub.length === 0 ? doc.contents : doc.getIn(sub, true)) as Node | null | undefined;
    if (node?.range) return node.range[0];
  }
  return undefined;
}

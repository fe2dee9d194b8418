import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Problem } from './problem.js';

export type YamlPath = readonly (string | number)[];

/** A parsed admin file that can say where any value in it was written. */
export class SourceFile {
  readonly data: unknown;
  readonly problems: Problem[] = [];
  private readonly lines = new LineCounter();
  private readonly doc: Document;

  constructor(
    readonly path: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    for (const error of [...this.doc.errors, ...this.doc.warnings]) {
      const { line, col } = this.lines.linePos(error.pos[0]);
      this.problems.push({ where: `${path}:${line}:${col}`, message: `YAML: ${error.message.split('\n')[0]}` });
    }
    this.data = this.doc.errors.length === 0 ? this.doc.toJS() : undefined;
  }

  /** "file:line:column" of the value at `path`, or of its key when `key` is set; the nearest parent if absent. */
  at(path: YamlPath, key = false): string {
    const offset = this.offsetOf(path, key);
    if (offset === undefined) return this.path;
    const { line, col } = this.lines.linePos(offset);
    return `${this.path}:${line}:${col}`;
  }

  /** "file:line", the form decisions cite. */
  line(path: YamlPath): string {
    return this.at(path).replace(/:\d+$/, '');
  }

  private offsetOf(path: YamlPath, key: boolean): number | undefined {
    for (let depth = path.length; depth >= 0; depth--) {
      const sub = path.slice(0, depth);
      if (key && depth === path.length && depth > 0) {
        const parent = this.doc.getIn(sub.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(sub[sub.length - 1]));
          const range = (pair?.key as Node | undefined)?.range;
          if (range) return range[0];
        }
      }
      const node = (sub.length === 0 ? this.doc.contents : this.doc.getIn(sub, true)) as Node | null | undefined;
      if (node?.range) return node.range[0];
    }
    return undefined;
  }
}

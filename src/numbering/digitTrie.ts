/**
 * A trie over decimal digits, built once from patterns and then walked without allocation.
 * Pattern characters: 0-9 literal, X any digit, N 2-9 (NANP area/exchange codes).
 * A prefix entry matches every number that starts with it (longest wins); an exact entry
 * (written with a trailing '$') matches only a number of exactly that length.
 */
interface Node<V> {
  /** Absent on leaves, which are most nodes of a list of numbers. */
  next?: (Node<V> | undefined)[];
  prefix?: Slot<V>;
  exact?: Slot<V>;
}

interface Slot<V> {
  value: V;
  /** Literal digits in the pattern: a literal beats a wildcard at the same depth. */
  literals: number;
}

export class PatternError extends Error {}

const DIGITS: Record<string, readonly number[]> = {
  X: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  N: [2, 3, 4, 5, 6, 7, 8, 9],
};

export const PATTERN_SYNTAX = /^[0-9XN]+\$?$/;

/** Every node gets all three fields, so the walk reads one object shape, not one per combination. */
function newNode<V>(): Node<V> {
  return { next: undefined, prefix: undefined, exact: undefined };
}

export class DigitTrie<V> {
  private readonly root: Node<V> = newNode();

  /**
   * Adds a pattern. Returns the value it collides with (same pattern shape and specificity,
   * different value) so callers can report overlapping definitions; the first one stays.
   */
  add(pattern: string, value: V): V | undefined {
    if (!PATTERN_SYNTAX.test(pattern)) throw new PatternError(`bad pattern "${pattern}": use digits, X, N and an optional trailing $`);
    const exact = pattern.endsWith('$');
    const body = exact ? pattern.slice(0, -1) : pattern;
    const literals = body.replace(/[XN]/g, '').length;
    let collision: V | undefined;
    const insert = (node: Node<V>, i: number): void => {
      if (i === body.length) {
        const key = exact ? 'exact' : 'prefix';
        const slot = node[key];
        if (!slot || slot.literals < literals) node[key] = { value, literals };
        else if (slot.literals === literals && slot.value !== value && collision === undefined) collision = slot.value;
        return;
      }
      const ch = body[i]!;
      const choices = DIGITS[ch] ?? [ch.charCodeAt(0) - 48];
      const next = (node.next ??= new Array<Node<V> | undefined>(10));
      for (const d of choices) insert((next[d] ??= newNode()), i + 1);
    };
    insert(this.root, 0);
    return collision;
  }

  /** Longest matching entry for `digits[from..]`: an exact entry if the whole rest matches, else the longest prefix. */
  match(digits: string, from = 0): V | undefined {
    let node: Node<V> | undefined = this.root;
    let best = node.prefix?.value;
    for (let i = from; i < digits.length; i++) {
      node = node.next?.[digits.charCodeAt(i) - 48];
      if (!node) return best;
      if (node.prefix) best = node.prefix.value;
    }
    return node.exact ? node.exact.value : best;
  }

  /** Every entry on the path of `digits`, least specific first: prefixes by length, then the exact entry. */
  collect(digits: string, out: V[]): V[] {
    let node: Node<V> | undefined = this.root;
    if (node.prefix) out.push(node.prefix.value);
    for (let i = 0; i < digits.length; i++) {
      node = node.next?.[digits.charCodeAt(i) - 48];
      if (!node) return out;
      if (node.prefix) out.push(node.prefix.value);
    }
    if (node.exact) out.push(node.exact.value);
    return out;
  }
}

import fc from 'fast-check';
import jsYaml from 'js-yaml';

/**
 * What js-yaml (CORE schema) makes of `text`, with the line each object at depth <= citedDepth opens
 * on, keyed by its path: the oracle the plain-YAML reader must match.
 */
export function jsYamlWithLines(text: string, citedDepth: number): { data: unknown; lines: Map<string, number> } | undefined {
  const open: number[] = [];
  const byObject = new Map<object, number>();
  let data: unknown;
  try {
    data = jsYaml.load(text, {
      schema: jsYaml.CORE_SCHEMA,
      listener: (event, state) => {
        if (event === 'open') open.push(state.line + 1);
        else {
          const line = open.pop()!;
          if (open.length <= citedDepth && typeof state.result === 'object' && state.result !== null) byObject.set(state.result, line);
        }
      },
    });
  } catch {
    return undefined;
  }
  return { data, lines: linesByPath(data, byObject) };
}

/** The lines of `openedAt`, keyed by the JSON path of each object in `data`. */
export function linesByPath(data: unknown, openedAt: Map<object, number>): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (value: unknown, path: string) => {
    if (typeof value !== 'object' || value === null) return;
    const line = openedAt.get(value);
    if (line !== undefined) out.set(path, line);
    for (const [k, v] of Object.entries(value)) walk(v, `${path}/${k}`);
  };
  walk(data, '');
  return out;
}

/**
 * Runs `readsLikeOracle` on 3,000 generated documents: it asserts that a quick reader, where it takes a
 * document, reads it as the oracle does, and says whether it took it. Returns how many it took, so a test
 * can check that the generator still reaches the quick form rather than only the cases it gives up on.
 */
export function documentsTaken(documents: fc.Arbitrary<string>, readsLikeOracle: (text: string) => boolean): number {
  let taken = 0;
  fc.assert(
    fc.property(documents, (text) => {
      if (readsLikeOracle(text)) taken++;
    }),
    { numRuns: 3000 },
  );
  return taken;
}

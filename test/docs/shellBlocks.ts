/**
 * The fenced shell blocks of a Markdown file, with the line each opens on and how it is marked.
 *
 * The mark is the fence's info string after the language: ```sh runnable [redis] [serve] is run by
 * runnableBlocks.test.ts; ```sh by-hand is a block the test cannot run (the full stack, installs, the
 * whole suite). Any other shell fence is unmarked, which the test refuses, so no command slips into
 * the docs untested without saying so.
 */

export const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

/** What a runnable block needs besides the workspace: a private redis-server, a running `callguard serve`. */
export type Need = 'redis' | 'serve';
const NEEDS: readonly string[] = ['redis', 'serve'] satisfies Need[];

export type ShellBlockMark = { kind: 'runnable'; needs: Need[] } | { kind: 'by-hand' } | { kind: 'unmarked' | 'malformed'; why: string };

export interface ShellBlock {
  /** `file:line` of the opening fence (1-based), as an editor opens it. */
  where: string;
  /** The line of the block's first command (the line after the fence). */
  firstLine: number;
  mark: ShellBlockMark;
  text: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

function markOf(words: string[]): ShellBlockMark {
  const [kind, ...rest] = words;
  if (kind === 'by-hand' && rest.length === 0) return { kind: 'by-hand' };
  if (kind === 'runnable') {
    const unknown = rest.filter((w) => !NEEDS.includes(w));
    if (unknown.length > 0) return { kind: 'malformed', why: `unknown need ${unknown.join(', ')} (known: ${NEEDS.join(', ')})` };
    return { kind: 'runnable', needs: rest as Need[] };
  }
  if (kind === undefined) return { kind: 'unmarked', why: 'mark it ```sh runnable (the docs test runs it) or ```sh by-hand (it cannot)' };
  return { kind: 'malformed', why: `"${words.join(' ')}" is neither runnable [redis] [serve] nor by-hand` };
}

/** Every fenced block whose language is a shell, in file order. `file` only labels the blocks. */
export function shellBlocks(file: string, markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    // The closing fence: the same character, at least as long, nothing after it.
    const closes = (line: string) => {
      const m = FENCE.exec(line);
      return m !== null && m[2]![0] === fence[0] && m[2]!.length >= fence.length && m[3]!.trim() === '';
    };
    let end = i + 1;
    while (end < lines.length && !closes(lines[end]!)) end++;
    const [language, ...words] = info.trim().split(/\s+/).filter(Boolean);
    if (language !== undefined && SHELL_LANGUAGES.has(language)) {
      // A block inside a list item is indented like its fence; the commands are not.
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      blocks.push({ where: `${file}:${i + 1}`, firstLine: i + 2, mark: markOf(words), text: `${body.join('\n')}\n` });
    }
    i = end;
  }
  return blocks;
}

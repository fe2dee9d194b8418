/**
 * The links between README.md and the guides in docs/ lead somewhere: every relative link names a file
 * of the checkout, and every #anchor a heading of that file (GitHub's anchor for it), so moving a
 * section cannot leave a guide pointing into nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/lab.js';

const DOCUMENTS = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
}

/** The headings of a Markdown file, outside fenced blocks. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) fence = fence === undefined ? f[1] : line.trim().startsWith(fence) ? undefined : fence;
    else if (fence === undefined) {
      const h = /^#{1,6}\s+(.*)$/.exec(line);
      if (h) found.add(anchorOf(h[1]!));
    }
  }
  return found;
}

/** Inline links and images outside code: [text](target) with a relative target. */
function relativeLinks(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let inFence = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^\s*(`{3,}|~{3,})/.test(text)) inFence = !inFence;
    if (inFence) return;
    for (const m of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/.test(m[1]!)) links.push({ line: i + 1, target: m[1]! });
    }
  });
  return links;
}

describe('links in README.md and docs/*.md', () => {
  it('each lead to a file of the checkout and a heading in it', () => {
    const broken: string[] = [];
    for (const file of DOCUMENTS) {
      for (const { line, target } of relativeLinks(readFileSync(join(REPO_ROOT, file), 'utf8'))) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const linked = path === '' ? file : normalize(join(dirname(file), path));
        if (!existsSync(join(REPO_ROOT, linked))) broken.push(`${file}:${line}: ${target}: no file ${linked}`);
        else if (anchor !== undefined && linked.endsWith('.md') && !anchors(readFileSync(join(REPO_ROOT, linked), 'utf8')).has(anchor)) {
          broken.push(`${file}:${line}: ${target}: no heading #${anchor} in ${linked}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('anchors are made as GitHub makes them', () => {
    expect(anchorOf('The `callguard` command')).toBe('the-callguard-command');
    expect(anchorOf('Oversight: replay and report')).toBe('oversight-replay-and-report');
    expect(anchorOf('PINs, locked phones and run-time grants')).toBe('pins-locked-phones-and-run-time-grants');
  });
});

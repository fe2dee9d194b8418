/**
 * Every shell block of README.md and docs/*.md is either run here or marked by-hand: a block marked
 * ```sh runnable [redis] [serve] runs against the built CLI (blockRunner.ts) and must exit 0; one that
 * does not fails with the file:line of the command that failed. The marks are described at the top of
 * docs/admin-guide.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, stopAll } from '../support/lab.js';
import { runBlock } from './blockRunner.js';
import { shellBlocks, type ShellBlock } from './shellBlocks.js';

const DOCUMENTS = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const blocks = DOCUMENTS.flatMap((file) => shellBlocks(file, readFileSync(join(REPO_ROOT, file), 'utf8')));
const runnable = blocks.filter((block) => block.mark.kind === 'runnable');

afterAll(stopAll);

describe('the shell blocks of README.md and docs/*.md', () => {
  it('are each marked runnable or by-hand', () => {
    const unmarked = blocks.flatMap((block) => (block.mark.kind === 'unmarked' || block.mark.kind === 'malformed' ? [`${block.where}: ${block.mark.why}`] : []));
    expect(unmarked).toEqual([]);
    // The guides hold a few dozen commands; none found would mean the fences are no longer read.
    expect(runnable.length).toBeGreaterThanOrEqual(10);
  });

  for (const block of runnable) {
    it(`${block.where} runs`, async () => {
      const result = await runBlock(block);
      if (!result.ok) throw new Error(result.message);
    }, 240_000);
  }
});

describe('the block runner', () => {
  const only = (markdown: string): ShellBlock => {
    const [block] = shellBlocks('example.md', markdown);
    if (!block) throw new Error('no shell block found');
    return block;
  };

  it('fails a block whose command exits non-zero, at that command\'s line', async () => {
    const result = await runBlock(only('# Example\n\n```sh runnable\ncallguard validate\nfalse\necho never\n```\n'));
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/^example\.md:5: the block at example\.md:3 exited 1/) });
  }, 60_000);

  it('fails a block on a failing command inside a pipeline, and runs the built CLI on the sample dialplan', async () => {
    expect(await runBlock(only('```sh runnable\ncallguard validate | grep -q "dialplan: valid"\n```\n'))).toMatchObject({ ok: true });
    const result = await runBlock(only('```sh runnable\ncallguard check --from 4101 | cat\n```\n'));
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/^example\.md:2: the block at example\.md:1 exited/) });
  }, 60_000);

  it('gives a redis block REDIS_URL and a serve block a serving callguard on CALLGUARD_HTTP_PORT', async () => {
    const result = await runBlock(only('```sh runnable redis serve\nredis-cli -u "$REDIS_URL" ping\ncurl -sf "http://127.0.0.1:$CALLGUARD_HTTP_PORT/health"\n```\n'));
    expect(result).toMatchObject({ ok: true, stdout: expect.stringMatching(/PONG[\s\S]*"ok":true/) });
  }, 120_000);

  it('reads fences in list items, tilde fences and the marks', () => {
    const markdown = [
      'text', //                                  1
      '1. step', //                               2
      '   ```sh runnable redis', //               3
      '   callguard phone status 4101', //        4
      '   ```', //                                5
      '~~~bash by-hand', //                       6
      'docker compose up -d', //                  7
      '~~~', //                                   8
      '```yaml', //                               9
      'a: 1', //                                  10
      '```', //                                   11
      '```sh', //                                 12
      'ls', //                                    13
      '```', //                                   14
      '```sh runnable cluster', //                15
      '```', //                                   16
    ].join('\n');
    const found = shellBlocks('guide.md', markdown);
    expect(found.map((b) => [b.where, b.mark.kind, b.text])).toEqual([
      ['guide.md:3', 'runnable', 'callguard phone status 4101\n'],
      ['guide.md:6', 'by-hand', 'docker compose up -d\n'],
      ['guide.md:12', 'unmarked', 'ls\n'],
      ['guide.md:15', 'malformed', '\n'],
    ]);
    expect(found[0]!.mark).toEqual({ kind: 'runnable', needs: ['redis'] });
  });
});

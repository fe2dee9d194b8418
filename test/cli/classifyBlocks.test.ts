import { Writable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialMix } from '../../bench/dialMix.js';
import { Blocks, HELPER_FROM_CHARS } from '../../src/cli/classifyBlocks.js';
import { ClassifyHelper } from '../../src/cli/classifyHelper.js';
import { Rows } from '../../src/cli/classifyRows.js';
import type { Format } from '../../src/cli/classify.js';
import type { Numbering } from '../../src/numbering/classifier.js';
import { sampleNumbering } from '../support/plans.js';

const site = { country: 'GB', outsidePrefix: '9' };
/** The mix in blocks of whole lines. */
const blocks: string[] = [];
let numbering: Numbering;
beforeAll(async () => {
  numbering = await sampleNumbering();
  const lines = [...dialMix(60_000)].map((l) => `${l.text}\n`);
  for (let i = 0; i < lines.length; i += 5000) blocks.push(lines.slice(i, i + 5000).join(''));
});

/** Everything written to it, in order. */
class Collected extends Writable {
  readonly pieces: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.pieces.push(Buffer.from(chunk));
    done();
  }
}

/** An input length known up front (a file on stdin) that has the helper start with the first block. */
const BULK = HELPER_FROM_CHARS;

describe('classify blocks shared with a helper thread', () => {
  it.each<Format>(['tsv', 'json', 'summary'])('writes the %s rows this thread alone writes, in input order', async (format) => {
    const alone = new Rows(numbering.classifierFor(site), format);
    const expected = Buffer.concat([...blocks.map((b) => alone.block(b)), alone.finish()]);

    const helper = new ClassifyHelper({ spec: numbering.spec, site, format });
    await helper.started();
    const out = new Collected();
    const shared = new Blocks(new Rows(numbering.classifierFor(site), format), () => helper, out, BULK);
    for (const block of blocks) {
      await shared.add(block);
      // Paced so the helper answers every block it takes, however busy the machine.
      while (helper.holding > 0) await setTimeout(5);
    }
    await shared.end();
    expect(helper.answered).toBeGreaterThan(0);
    expect(Buffer.concat(out.pieces).equals(expected)).toBe(true);
  }, 120_000);

  it('classifies itself the blocks the helper has not answered when their rows are due', async () => {
    const alone = new Rows(numbering.classifierFor(site), 'tsv');
    const expected = Buffer.concat(blocks.map((b) => alone.block(b)));
    const helper = new ClassifyHelper({ spec: numbering.spec, site, format: 'tsv' });
    await helper.started();
    const out = new Collected();
    const shared = new Blocks(new Rows(numbering.classifierFor(site), 'tsv'), () => helper, out, BULK);
    // Added without waiting and ended at once: the blocks the helper still holds at the end are classified here.
    const adding = blocks.map((block) => shared.add(block));
    await shared.end();
    await Promise.all(adding);
    expect(helper.taken).toBeGreaterThan(0);
    expect(Buffer.concat(out.pieces).equals(expected)).toBe(true);
  }, 120_000);

  it('fails the run when the helper thread fails', async () => {
    const broken = new ClassifyHelper({ spec: numbering.spec, site: { country: 'XX' }, format: 'tsv' });
    await expect(broken.started()).rejects.toThrow(/no numbering plan for site country XX/);
    await expect(broken.stop()).rejects.toThrow(/no numbering plan for site country XX/);
  }, 60_000);
});

describe('when classify starts its helper thread', () => {
  /** Blocks whose helper threads (real ones) are counted as they start. */
  const counted = (length?: number) => {
    const starts = { count: 0 };
    const start = () => {
      starts.count++;
      return new ClassifyHelper({ spec: numbering.spec, site, format: 'summary' });
    };
    return { blocks: new Blocks(new Rows(numbering.classifierFor(site), 'summary'), start, new Collected(), length), starts };
  };
  /** Half of HELPER_FROM_CHARS in lines too long to be dial strings (quick to classify). */
  const half = `${'9'.repeat(999)}\n`.repeat(HELPER_FROM_CHARS / 2000);

  it('starts it once the input read from a pipe reaches HELPER_FROM_CHARS', async () => {
    const { blocks: piped, starts } = counted();
    await piped.add(half);
    expect(starts.count).toBe(0);
    await piped.add(half);
    expect(starts.count).toBe(1);
    await piped.end();
  }, 60_000);

  it('starts it with the first block of a file that long, and never for a shorter one', async () => {
    const long = counted(HELPER_FROM_CHARS);
    await long.blocks.add(blocks[0]!);
    expect(long.starts.count).toBe(1);
    await long.blocks.end();

    const short = counted(HELPER_FROM_CHARS - 1);
    for (let i = 0; i < 3; i++) await short.blocks.add(half);
    expect(short.starts.count).toBe(0);
    await short.blocks.end();
  }, 60_000);
});

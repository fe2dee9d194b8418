import { once } from 'node:events';
import type { Classify } from '../numbering/classifier.js';
import { PUBLIC_CLASSES, type Destination } from '../numbering/destination.js';
import { dialplanDir, loadNumbering, loadPlan } from '../dialplan/load.js';
import { formatProblem } from '../dialplan/problem.js';
import type { ClassifyOptions, Format } from './classify.js';
import { UsageError } from './usage.js';

/** Output goes out in pieces of this many bytes, waiting whenever the pipe is full. */
const CHUNK = 256 * 1024;

/**
 * Bytes for stdout, gathered in Buffers rather than one long string, so a million rows leave little
 * garbage for the collector to chase. Each row goes in with one native UTF-8 write: a JavaScript loop
 * copying characters one by one cost twice as much.
 */
class ByteSink {
  private buffer = Buffer.allocUnsafe(CHUNK);
  private at = 0;
  private readonly full: Buffer[] = [];

  /** Appends `s`, setting the filled buffer aside first when `s` might not fit (three bytes a character at most). */
  text(s: string): void {
    if (this.at + s.length * 3 > this.buffer.length) {
      this.setAside();
      if (s.length * 3 > this.buffer.length) this.buffer = Buffer.allocUnsafe(s.length * 3);
    }
    this.at += this.buffer.write(s, this.at);
  }

  /** Writes the full buffers (and, at the end, the last one); resolves when the pipe can take more. */
  async drain(end = false): Promise<void> {
    if (end) this.setAside();
    for (const piece of this.full.splice(0)) process.stdout.write(piece);
    if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
  }

  private setAside(): void {
    if (this.at === 0) return;
    this.full.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(CHUNK);
    this.at = 0;
  }
}

/** Classifies each input line and writes its row (or counts it). */
class Rows {
  readonly out = new ByteSink();
  private total = 0;
  private readonly counts = new Map<string, number>(PUBLIC_CLASSES.map((c) => [c, 0]));

  constructor(
    private readonly classify: Classify,
    private readonly format: Format,
  ) {}

  add(input: string): void {
    const d: Destination = this.classify(input);
    this.total++;
    if (this.format === 'summary') {
      this.counts.set(d.class, this.counts.get(d.class)! + 1);
      return;
    }
    const invalid = d.class === 'invalid';
    const e164 = invalid ? '' : (d.e164 ?? '');
    const country = invalid ? '' : (d.country ?? '');
    if (this.format === 'json') this.out.text(`${JSON.stringify({ input, class: d.class, e164: e164 || null, country: country || null })}\n`);
    else this.out.text(`${input}\t${d.class}\t${e164}\t${country}\n`);
  }

  /** The summary's lines, after the last row. */
  finish(): void {
    if (this.format !== 'summary') return;
    let text = '';
    for (const [cls, n] of this.counts) if (n > 0) text += `${cls}\t${n}\n`;
    text += `total\t${this.total}\n`;
    this.out.text(text);
  }
}

/**
 * The classifier for the site: explicit flags with the numbering tables alone, else the configured
 * site's own country and outside prefix (one load of the plan, which holds its numbering too).
 */
async function classifierFor(options: ClassifyOptions): Promise<Classify> {
  const dir = dialplanDir(options.dialplan);
  if (!options.country) {
    const plan = await loadPlan(dir);
    if (plan.ok) return plan.plan.numbering.classifierFor({ country: plan.plan.site.country, outsidePrefix: options.outsidePrefix ?? plan.plan.site.outsidePrefix, areaCode: options.areaCode ?? plan.plan.site.areaCode });
  }
  const numbering = await loadNumbering(dir);
  if (!numbering.ok) throw new Error(`numbering tables are invalid:\n${numbering.problems.map(formatProblem).join('\n')}`);
  const country = options.country?.toUpperCase() ?? 'GB';
  // An area code the plan would refuse (not geographic, another country's) is refused here with the same words.
  const wrong = options.areaCode === undefined ? undefined : numbering.numbering.areaCodeProblem(country, options.areaCode);
  if (wrong) throw new UsageError(`--area-code: ${wrong}`);
  return numbering.numbering.classifierFor({ country, outsidePrefix: options.outsidePrefix, areaCode: options.areaCode });
}

/**
 * One dial string per line of stdin, classified in order as the bytes arrive. Lines end at "\n",
 * "\r\n" or a lone "\r", as readline splits them; memory holds one input chunk and the output not yet written.
 */
async function fromStdin(rows: Rows): Promise<void> {
  process.stdin.setEncoding('utf8');
  let rest = '';
  let pendingCr = false;
  for await (const chunk of process.stdin as AsyncIterable<string>) {
    let text = rest + chunk;
    if (pendingCr && text.startsWith('\n')) text = text.slice(1);
    pendingCr = false;
    if (text.includes('\r')) {
      pendingCr = text.endsWith('\r');
      text = text.replace(/\r\n?/g, '\n');
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      rows.add(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
    await rows.out.drain();
  }
  if (rest.length > 0) rows.add(rest);
}

export async function runClassify(numbers: string[], options: ClassifyOptions): Promise<void> {
  const rows = new Rows(await classifierFor(options), options.format);
  if (numbers.length > 0) for (const input of numbers) rows.add(input);
  else await fromStdin(rows);
  rows.finish();
  await rows.out.drain(true);
}

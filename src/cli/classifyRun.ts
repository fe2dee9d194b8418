import { createInterface } from 'node:readline';
import type { Classify } from '../numbering/classifier.js';
import { PUBLIC_CLASSES, type Destination } from '../numbering/destination.js';
import { dialplanDir, loadNumbering, loadPlan } from '../dialplan/load.js';
import { formatProblem } from '../dialplan/problem.js';
import type { ClassifyOptions, Format } from './classify.js';
import { OutputBuffer } from './outputBuffer.js';

function row(input: string, d: Destination, format: Format): string {
  const e164 = d.class === 'invalid' ? '' : (d.e164 ?? '');
  const country = d.class === 'invalid' ? '' : (d.country ?? '');
  return format === 'json'
    ? `${JSON.stringify({ input, class: d.class, e164: e164 || null, country: country || null })}\n`
    : `${input}\t${d.class}\t${e164}\t${country}\n`;
}

async function* inputs(numbers: string[]): AsyncGenerator<string> {
  if (numbers.length > 0) return yield* numbers;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) yield line;
}

/**
 * The classifier for the site: explicit flags with the numbering tables alone, else the configured
 * site's own country and outside prefix (one load of the plan, which holds its numbering too).
 */
async function classifierFor(options: ClassifyOptions): Promise<Classify> {
  const dir = dialplanDir(options.dialplan);
  if (!options.country) {
    const plan = await loadPlan(dir);
    if (plan.ok) return plan.plan.numbering.classifierFor({ country: plan.plan.site.country, outsidePrefix: options.outsidePrefix ?? plan.plan.site.outsidePrefix });
  }
  const numbering = await loadNumbering(dir);
  if (!numbering.ok) throw new Error(`numbering tables are invalid:\n${numbering.problems.map(formatProblem).join('\n')}`);
  return numbering.numbering.classifierFor({ country: options.country?.toUpperCase() ?? 'GB', outsidePrefix: options.outsidePrefix });
}

async function classifyAll(classify: Classify, numbers: string[], format: Format): Promise<void> {
  const out = new OutputBuffer(process.stdout);
  const counts = new Map<string, number>(PUBLIC_CLASSES.map((c) => [c, 0]));
  let total = 0;
  for await (const input of inputs(numbers)) {
    const destination = classify(input);
    total++;
    if (format === 'summary') counts.set(destination.class, counts.get(destination.class)! + 1);
    else await out.write(row(input, destination, format));
  }
  if (format === 'summary') {
    for (const [cls, n] of counts) if (n > 0) await out.write(`${cls}\t${n}\n`);
    await out.write(`total\t${total}\n`);
  }
  await out.flush();
}

export async function runClassify(numbers: string[], options: ClassifyOptions): Promise<void> {
  await classifyAll(await classifierFor(options), numbers, options.format);
}

import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Classify } from '../numbering/classifier.js';
import { PUBLIC_CLASSES, type Destination } from '../numbering/destination.js';
import { dialplanDir, loadNumbering, loadPlan } from '../dialplan/load.js';
import { formatProblem } from '../dialplan/problem.js';
import { DIALPLAN_OPTION } from './options.js';
import { OutputBuffer } from './outputBuffer.js';

type Format = 'tsv' | 'json' | 'summary';

interface ClassifyOptions {
  country?: string;
  outsidePrefix?: string;
  format: Format;
  dialplan?: string;
}

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

/** Site context: explicit flags, else the configured site's own country and outside prefix. */
async function siteFor(options: ClassifyOptions, dir: string): Promise<{ country: string; outsidePrefix?: string }> {
  if (options.country) return { country: options.country.toUpperCase(), outsidePrefix: options.outsidePrefix };
  const plan = await loadPlan(dir);
  if (plan.ok) return { country: plan.plan.site.country, outsidePrefix: options.outsidePrefix ?? plan.plan.site.outsidePrefix };
  return { country: 'GB', outsidePrefix: options.outsidePrefix };
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

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify dial strings (arguments, or one per line on stdin) into destination classes')
    .argument('[number...]', 'dial strings; read from stdin when none are given')
    .option('--country <code>', 'site country: GB, US or CA (default: the dialplan site)')
    .option('--outside-prefix <digits>', "the site's outside-line prefix, e.g. 9")
    .option('--format <format>', 'tsv, json (one object per line) or summary', 'tsv')
    .option(...DIALPLAN_OPTION)
    .action(async (numbers: string[], options: ClassifyOptions) => {
      if (!['tsv', 'json', 'summary'].includes(options.format)) throw new Error(`unknown format "${options.format}" (tsv, json or summary)`);
      if (options.outsidePrefix !== undefined && !/^[0-9]{1,2}$/.test(options.outsidePrefix)) throw new Error('--outside-prefix must be one or two digits');
      const dir = dialplanDir(options.dialplan);
      const numbering = await loadNumbering(dir);
      if (!numbering.ok) throw new Error(`numbering tables are invalid:\n${numbering.problems.map(formatProblem).join('\n')}`);
      const site = await siteFor(options, dir);
      await classifyAll(numbering.numbering.classifierFor(site), numbers, options.format);
    });
}

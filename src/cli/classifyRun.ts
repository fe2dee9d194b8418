import { fstatSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Numbering } from '../numbering/classifier.js';
import type { SiteContext } from '../numbering/spec.js';
import { dialplanDir, loadNumbering, loadPlan } from '../dialplan/load.js';
import { formatProblem } from '../dialplan/problem.js';
import type { ClassifyOptions } from './classify.js';
import { Blocks } from './classifyBlocks.js';
import { ClassifyHelper } from './classifyHelper.js';
import { Rows } from './classifyRows.js';
import { UsageError } from './usage.js';

/**
 * The tables and the site to classify for: explicit flags with the numbering tables alone, else the
 * configured site's own country and outside prefix (one load of the plan, which holds its numbering too).
 */
async function siteNumbering(options: ClassifyOptions): Promise<{ numbering: Numbering; site: SiteContext }> {
  const dir = dialplanDir(options.dialplan);
  if (!options.country) {
    const plan = await loadPlan(dir);
    if (plan.ok) {
      const { site, numbering } = plan.plan;
      return { numbering, site: { country: site.country, outsidePrefix: options.outsidePrefix ?? site.outsidePrefix, areaCode: options.areaCode ?? site.areaCode } };
    }
  }
  const numbering = await loadNumbering(dir);
  if (!numbering.ok) throw new Error(`numbering tables are invalid:\n${numbering.problems.map(formatProblem).join('\n')}`);
  const country = options.country?.toUpperCase() ?? 'GB';
  // An area code the plan would refuse (not geographic, another country's) is refused here with the same words.
  const wrong = options.areaCode === undefined ? undefined : numbering.numbering.areaCodeProblem(country, options.areaCode);
  if (wrong) throw new UsageError(`--area-code: ${wrong}`);
  return { numbering: numbering.numbering, site: { country, outsidePrefix: options.outsidePrefix, areaCode: options.areaCode } };
}

/**
 * Bytes of stdin decoded at a time. A piece holding one character beyond Latin-1 (a full-width digit,
 * an emoji) decodes to two bytes a character, and at 64 KB (what stdin hands over from a file or a fast
 * pipe) that string is too big for V8's young generation: each went to freshly mapped memory (in both
 * threads, as the helper receives blocks as strings), about a quarter of the page faults of a million
 * lines. At 32 KB none does.
 */
const DECODE_BYTES = 32 * 1024;

/**
 * One dial string per line of stdin, classified in order as the bytes arrive. Lines end at "\n",
 * "\r\n" or a lone "\r", as readline splits them; memory holds a few input chunks and the output not yet written.
 */
async function fromStdin(blocks: Blocks): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let pendingCr = false;
  const lines = async (decoded: string) => {
    let text = rest + decoded;
    if (pendingCr && text.startsWith('\n')) text = text.slice(1);
    pendingCr = false;
    if (text.includes('\r')) {
      pendingCr = text.endsWith('\r');
      text = text.replace(/\r\n?/g, '\n');
    }
    const end = text.lastIndexOf('\n') + 1;
    rest = text.slice(end);
    if (end > 0) await blocks.add(text.slice(0, end));
  };
  // process.stdin, not a file stream on fd 0: it also reads a pipe or terminal left non-blocking by whoever shares it.
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    for (let at = 0; at < chunk.length; at += DECODE_BYTES) await lines(decoder.write(chunk.subarray(at, at + DECODE_BYTES)));
  }
  await lines(decoder.end());
  if (rest.length > 0) await blocks.add(`${rest}\n`);
}

/** The size of stdin when it is a file (`callguard classify < numbers.txt`); a pipe's is known only once read. */
function stdinFileSize(): number | undefined {
  try {
    const stat = fstatSync(0);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined; // no stdin at all: it reads as empty
  }
}

export async function runClassify(numbers: string[], options: ClassifyOptions): Promise<void> {
  const { numbering, site } = await siteNumbering(options);
  const rows = new Rows(numbering.classifierFor(site), options.format);
  const startHelper = () => new ClassifyHelper({ spec: numbering.spec, site, format: options.format });
  const blocks = new Blocks(rows, startHelper, process.stdout, numbers.length > 0 ? undefined : stdinFileSize());
  if (numbers.length > 0) process.stdout.write(rows.lines(numbers));
  else await fromStdin(blocks);
  await blocks.end();
}

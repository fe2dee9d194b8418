/**
 * Synthetic call records for the oversight benchmarks and tests: a plan of N extensions (the sample
 * dialplan plus generated staff in departments, some with international grants) and a year (or a few
 * days) of calls through it, each decided by the real policy and written as the edge writes records.
 */
import { cpSync, mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { callRecord } from '../src/oversight/callRecord.js';
import { packageRoot } from '../src/packageRoot.js';
import { dayFile, DayOf, recordsDir } from '../src/oversight/callRecords.js';
import { decide } from '../src/policy/decide.js';
import type { PhoneState } from '../src/policy/phoneState.js';
import type { Plan } from '../src/policy/plan.js';

/** The sample dialplan, found from bench/ (tsx) and dist/bench/ (built) alike. */
export const SAMPLE_DIALPLAN = join(packageRoot(), 'dialplan');
export const FIRST_GENERATED_EXT = 600_000;

export const DEPARTMENTS = ['Chemistry', 'History', 'Law School', 'Nursing', 'Engineering', 'Music', 'Library', 'Finance Office', 'Estates', 'Psychology'];

/** The sample plan plus `extensions` generated staff phones (600000...), one user in 50 with a worldwide grant. */
export function writeScalePlan(dir: string, extensions: number): void {
  cpSync(SAMPLE_DIALPLAN, dir, { recursive: true });
  const ext: string[] = ['extensions:'];
  const grants: string[] = ['grants:'];
  for (let i = 0; i < extensions; i++) {
    const n = FIRST_GENERATED_EXT + i;
    ext.push(`  - { ext: "${n}", name: Staff ${n}, user: u${n}, class: staff, department: ${DEPARTMENTS[i % DEPARTMENTS.length]} }`);
    if (i % 50 === 0) grants.push(`  - { id: g${n}, user: u${n}, worldwide: true, reason: research, approver: Dean }`);
  }
  writeFileSync(join(dir, 'extensions', 'generated.yaml'), `${ext.join('\n')}\n`);
  writeFileSync(join(dir, 'grants-generated.yaml'), `${grants.join('\n')}\n`);
}

/** Dial strings by kind, as a GB phone dials them (outside prefix 9); `#` is replaced by digits. */
const DIALLED = [
  '9017071#####', '9020794#####', '907700######', '9079460#####', '90800######', '90300######', '4202', '4101',
  '90909#######', '9118###', '900331#########', '90049#########', '9001212555####', '9008816#######', '999', '90871######',
];
/** How often each kind is dialled (same order). */
const WEIGHTS = [20, 14, 18, 6, 4, 5, 12, 8, 1, 1, 3, 2, 2, 0.3, 0.05, 1];

export interface GenerateOptions {
  plan: Plan;
  dataDir: string;
  /** First day (yyyy-mm-dd, site time zone midnight taken as UTC for simplicity) and how many days. */
  firstDay: string;
  days: number;
  calls: number;
  /** Extensions that make calls: these numbers (default: every extension but one in 20, the low users). */
  callers?: string[];
  seed?: number;
}

/** A small deterministic generator (xorshift), so every run writes the same records. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Writes the records, one file per day; returns how many were written. */
export async function generateRecords(opts: GenerateOptions): Promise<number> {
  const { plan } = opts;
  const random = rng(opts.seed ?? 42);
  const allExts = [...plan.extensions.keys()].filter((e) => plan.extensions.get(e)!.role.kind === 'desk');
  const callers = opts.callers ?? allExts.filter((_, i) => i % 20 !== 7);
  const cumulative: number[] = [];
  let total = 0;
  for (const w of WEIGHTS) cumulative.push((total += w));
  const unlocked: PhoneState = { lock: 'unlocked', grants: [] };
  const start = Date.parse(`${opts.firstDay}T00:00:00Z`);
  const perDay = Math.ceil(opts.calls / opts.days);
  const days = new DayOf();
  mkdirSync(recordsDir(opts.dataDir), { recursive: true });
  let written = 0;
  for (let d = 0; d < opts.days && written < opts.calls; d++) {
    const dayStart = start + d * 86_400_000;
    const n = Math.min(perDay, opts.calls - written);
    // Office hours, 08:00 to 18:00, in order; a few at night.
    const times = Array.from({ length: n }, () => dayStart + (random() < 0.03 ? random() * 86_400_000 : 8 * 3_600_000 + random() * 10 * 3_600_000)).sort((a, b) => a - b);
    const out = createWriteStream(dayFile(opts.dataDir, days.of(dayStart + 43_200_000, 'UTC')));
    let chunk = '';
    for (let i = 0; i < n; i++) {
      const from = callers[Math.floor(random() * callers.length)]!;
      const r = random() * total;
      let kind = 0;
      while (cumulative[kind]! < r) kind++;
      const template = DIALLED[kind]!;
      const to = template.replace(/#/g, () => String(Math.floor(random() * 10)));
      const at = times[i]!;
      const decision = decide(plan, unlocked, { from, to }, at);
      const outcome = random();
      const answered = decision.action !== 'reject' && decision.action !== 'pin-required' && outcome < 0.8;
      const status = decision.action === 'reject' ? decision.sipStatus : answered ? 200 : outcome < 0.9 ? 486 : 487;
      const answeredAt = answered ? at + 3000 + random() * 15_000 : undefined;
      const end = answeredAt !== undefined ? answeredAt + Math.floor(random() * random() * 1_800_000) : at + 100 + random() * 20_000;
      const record = callRecord(
        { callId: `${(written + i).toString(36)}-${from}@gen.invalid`, call: { from, to }, decision, plan, lock: 'unlocked', at },
        { finalStatus: status, answeredAt, endedAt: end, disposition: answered ? 'answered' : status === 487 ? 'cancelled' : decision.action === 'reject' ? 'rejected' : 'failed' },
      );
      chunk += `${JSON.stringify(record)}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        chunk = '';
      }
    }
    out.end(chunk);
    await new Promise<void>((resolve) => out.once('close', () => resolve()));
    written += n;
  }
  return written;
}

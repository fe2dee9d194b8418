import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { loadPlan } from '../src/dialplan/load.js';
import { decide } from '../src/policy/decide.js';
import type { PhoneState } from '../src/policy/phoneState.js';
import type { Plan } from '../src/policy/plan.js';
import { readCorpus } from '../test/support/corpus.js';
import { machine, measure, row } from './stats.js';

/**
 * classify+decide per call against one libphonenumber-js/max parse+getType of the same number, on the
 * shared corpus (GB and US sites), in one run. The library gets the number without the outside prefix.
 */
const SAMPLES = 300_000;

const loaded = await loadPlan(process.env.CALLGUARD_DIALPLAN ?? 'dialplan');
if (!loaded.ok) throw new Error('the sample dialplan is invalid; run callguard validate');
const gb = loaded.plan;
const sitePlan = (country: string, outsidePrefix: string | undefined): Plan => {
  const site = { ...gb.site, country, outsidePrefix };
  return { ...gb, site, classify: gb.numbering.classifierFor(site) };
};

const rows = readCorpus().map((r) => ({
  plan: sitePlan(r.site, r.outsidePrefix),
  dialled: r.dialled,
  forLibrary: r.outsidePrefix && r.dialled.startsWith(r.outsidePrefix) && r.expected !== 'emergency' ? r.dialled.slice(r.outsidePrefix.length) : r.dialled,
  country: r.site as CountryCode,
}));
// The caller holds an international grant and has unlocked the phone: decide walks its longest path.
const phone: PhoneState = { lock: 'unlocked', grants: [] };
const now = Date.now();

const ours = measure(SAMPLES, (i) => {
  const r = rows[i % rows.length]!;
  return decide(r.plan, phone, { from: '4101', to: r.dialled }, now).action;
});
const library = measure(SAMPLES, (i) => {
  const r = rows[i % rows.length]!;
  return parsePhoneNumberFromString(r.forLibrary, r.country)?.getType();
});

console.log(`callguard decision bench: ${machine()}`);
console.log(`inputs: ${rows.length} rows of shared/corpus/numbers.tsv (GB and US sites), ${SAMPLES.toLocaleString('en-GB')} calls each`);
console.log(`${''.padEnd(34)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'calls/s'.padStart(14)}`);
console.log(row('classify+decide (callguard)', ours));
console.log(row('parse+getType (libphonenumber-js)', library));
const x = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
console.log(`callguard is faster by: p50 ${x(library.p50, ours.p50)}, p99 ${x(library.p99, ours.p99)}, calls/s ${x(ours.perSecond, library.perSecond)}`);
console.log(
  `budget p99 <= 10 µs (DESIGN): ${ours.p99 <= 10_000 ? 'met' : 'MISSED'}; p99 <= 2 µs (the core at full size): ${ours.p99 <= 2_000 ? 'met' : 'MISSED'}; >= 10x the library (calls/s): ${ours.perSecond >= 10 * library.perSecond ? 'met' : 'MISSED'}`,
);

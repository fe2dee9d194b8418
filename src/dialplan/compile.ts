import type { Numbering } from '../numbering/classifier.js';
import type { PublicClass } from '../numbering/destination.js';
import type { ClassOfService, Plan } from '../policy/plan.js';
import { compileExtensions } from './compileExtensions.js';
import { compileGrants } from './compileGrants.js';
import { compileLists } from './compileLists.js';
import { compileNumberingTables } from './compileNumbering.js';
import { checkSecurityTargets, compileSite } from './compileSite.js';
import { DateRanges } from './dates.js';
import { gatherSections, Problems, single, uniquelyNamed, type Sections } from './located.js';
import type { Problem } from './problem.js';
import { schemaProblems } from './schemaProblems.js';
import type { SourceFile } from './sourceFile.js';

export type LoadResult = { ok: true; plan: Plan } | { ok: false; problems: Problem[] };
export type NumberingResult = { ok: true; numbering: Numbering } | { ok: false; problems: Problem[] };

/** Sections of every file, or undefined when a file has the wrong shape: later checks would only mislead. */
function checkShapes(problems: Problems, files: readonly SourceFile[]): Sections | undefined {
  for (const file of files) problems.list.push(...file.problems, ...schemaProblems(file));
  return problems.none ? gatherSections(files) : undefined;
}

/** Compiles only the numbering tables, for `callguard classify`, which needs no site or extensions. */
export function compileNumbering(files: readonly SourceFile[], dirLabel: string): NumberingResult {
  const problems = new Problems(dirLabel);
  const s = checkShapes(problems, files);
  const numbering = s && compileNumberingTables(problems, s.numbering, s.international);
  return numbering && problems.none ? { ok: true, numbering } : { ok: false, problems: problems.list };
}

/** Turns parsed admin files into one immutable Plan, or every problem found, each at its file:line:column. */
export function compileDialplan(files: readonly SourceFile[], dirLabel: string): LoadResult {
  const problems = new Problems(dirLabel);
  const failed = (): LoadResult => ({ ok: false, problems: problems.list });
  const s = checkShapes(problems, files);
  if (!s) return failed();

  const siteAt = single(problems, s.site, 'site');
  const numbering = compileNumberingTables(problems, s.numbering, s.international);
  if (!siteAt || !numbering) return failed();
  if (!numbering.siteCountries.includes(siteAt.value.country)) {
    problems.at(siteAt, ['country'], `no numbering plan covers site country ${siteAt.value.country} (plans cover ${numbering.siteCountries.join(', ')})`);
    return failed();
  }
  const site = compileSite(siteAt);
  const classify = numbering.classifierFor({ country: site.country, outsidePrefix: site.outsidePrefix });

  const notices = new Map(uniquelyNamed(problems, s.notices, 'notice').map((n) => [n.value[0], { text: n.value[1].text, where: n.file.line(n.path) }]));
  if (!notices.has(site.recording.defaultNotice)) problems.at(siteAt, ['recording', 'defaultNotice'], `unknown notice "${site.recording.defaultNotice}"`);
  const classes = new Map(
    uniquelyNamed(problems, s.classes, 'class').map((c): [string, ClassOfService] => [c.value[0], { name: c.value[0], allow: new Set(c.value[1].allow as PublicClass[]), where: c.file.line(c.path) }]),
  );

  const extensions = compileExtensions(problems, s.extensions, { classes, notices, site, classify });
  checkSecurityTargets(problems, siteAt, site, extensions);
  const users = new Set([...extensions.values()].flatMap((e) => (e.user ? [e.user] : [])));
  const dates = new DateRanges(problems);
  const grants = compileGrants(problems, s.grants, users, dates);
  const lists = compileLists(problems, s.allow, s.deny, { site, numbering, classify, users, extensions, classes, dates });

  if (!problems.none) return failed();
  return { ok: true, plan: Object.freeze({ site, numbering, classify, extensions, classes, grants, lists, notices }) };
}

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Numbering } from '../numbering/classifier.js';
import type { PublicClass } from '../numbering/destination.js';
import { ListIndex, packLists } from '../policy/listIndex.js';
import { ListPartBuilder, type ListPart } from '../policy/listPart.js';
import type { ClassOfService, Plan } from '../policy/plan.js';
import { compileExtensions } from './compileExtensions.js';
import { compileGrants } from './compileGrants.js';
import { compileLimits } from './compileLimits.js';
import { compileListEntries, compileListItem, type ListContext } from './compileLists.js';
import { compileNumberingTables } from './compileNumbering.js';
import { compileRejectPrompts, compileSpoken } from './compileSpoken.js';
import { checkAreaCode, checkSecurityTargets, checkTimezone, compileSite } from './compileSite.js';
import { DateRanges } from './dates.js';
import { compileTariffs } from './compileTariffs.js';
import { gatherSections, Problems, single, uniquelyNamed, type Sections } from './located.js';
import type { Problem } from './problem.js';
import { hasSchemaShape, schemaProblems } from './schemaProblems.js';
import { SourceFile } from './sourceFile.js';
import { readListFile } from './listFile.js';

export type LoadResult = { ok: true; plan: Plan } | { ok: false; problems: Problem[] };
export type NumberingResult = { ok: true; numbering: Numbering } | { ok: false; problems: Problem[] };

/**
 * Sections of the files. Items of the wrong shape are reported and left out, and the checks of meaning
 * and references go on with the rest, so one run names every problem (`callguard validate`).
 */
function checkShapes(problems: Problems, files: readonly SourceFile[]): Sections {
  const found = files.flatMap((file) => [...file.problems, ...(file.shapeChecked ? [] : schemaProblems(file))]);
  problems.list.push(...found);
  return gatherSections(files, found.length === 0 ? undefined : hasSchemaShape);
}

/** Compiles only the numbering tables, for `callguard classify`, which needs no site or extensions. */
export function compileNumbering(files: readonly SourceFile[], dirLabel: string): NumberingResult {
  const problems = new Problems(dirLabel);
  const s = checkShapes(problems, files);
  const numbering = !s.leftOut.has('numbering') && !s.leftOut.has('international') ? compileNumberingTables(problems, s.numbering, s.international) : undefined;
  return numbering && problems.none ? { ok: true, numbering } : { ok: false, problems: problems.list };
}

/** Everything but the list index, the list entries of its files, and what list entries are checked against. */
export interface Core {
  plan: Omit<Plan, 'lists'>;
  lists: ListPart;
  listContext: ListContext;
}

/** Sections that must be whole for the meaning of anything else to be checked. */
const WHOLE_FOR_MEANING = ['site', 'numbering', 'international'];

function compileCore(problems: Problems, files: readonly SourceFile[], dialplanDir: string): Core | undefined {
  const s = checkShapes(problems, files);
  // Without all of the site and the numbering tables, every later check would mislead.
  if (WHOLE_FOR_MEANING.some((section) => s.leftOut.has(section))) return undefined;
  const siteAt = single(problems, s.site, 'site');
  const numbering = compileNumberingTables(problems, s.numbering, s.international);
  if (!siteAt || !numbering) return undefined;
  if (!numbering.siteCountries.includes(siteAt.value.country)) {
    problems.at(siteAt, ['country'], `no numbering plan covers site country ${siteAt.value.country} (plans cover ${numbering.siteCountries.join(', ')})`);
    return undefined;
  }
  const site = compileSite(siteAt);
  checkTimezone(problems, siteAt);
  checkAreaCode(problems, siteAt, numbering);
  const classify = numbering.classifierFor({ country: site.country, outsidePrefix: site.outsidePrefix, areaCode: site.areaCode });

  const notices = compileSpoken(problems, s.notices, 'notices', dialplanDir);
  const prompts = compileSpoken(problems, s.prompts, 'prompts', dialplanDir);
  const rejectPrompts = compileRejectPrompts(problems, s.prompts);
  if (!notices.has(site.recording.defaultNotice)) problems.at(siteAt, ['recording', 'defaultNotice'], `unknown notice "${site.recording.defaultNotice}"`);
  const classes = new Map(
    uniquelyNamed(problems, s.classes, 'class').map((c): [string, ClassOfService] => [c.value[0], { name: c.value[0], allow: new Set(c.value[1].allow as PublicClass[]), where: c.file.line(c.path) }]),
  );

  const extensions = compileExtensions(problems, s.extensions, { classes, notices, site, classify });
  checkSecurityTargets(problems, siteAt, site, extensions);
  const users = new Set([...extensions.values()].flatMap((e) => (e.user ? [e.user] : [])));
  const dates = new DateRanges(problems);
  const grants = compileGrants(problems, s.grants, users, dates);
  const listContext: ListContext = { site, numbering, classify, users, extensions, classes, dates };
  const tariffsAt = s.tariffs.length > 0 ? single(problems, s.tariffs, 'tariffs') : undefined;
  const tariffs = tariffsAt && compileTariffs(tariffsAt);
  const limitsAt = s.limits.length > 0 ? single(problems, s.limits, 'limits') : undefined;
  const limits = limitsAt && compileLimits(problems, limitsAt, { classes, users });
  const lists = new ListPartBuilder();
  compileListEntries(problems, lists, s.allow, s.deny, listContext);
  return { plan: { site, numbering, classify, extensions, classes, grants, notices, prompts, rejectPrompts, tariffs, limits }, lists: lists.build(), listContext };
}

/** A list-only file as read from disk. */
export interface ListSource {
  path: string;
  text: string;
}

/**
 * The entries of a list-only file: read the quick way (listFile.ts) when it has the generated form and
 * nothing in it is wrong; else, or when a problem is found, the general way, which reports it.
 */
function listFilePart(problems: Problems, source: ListSource, context: ListContext | undefined): ListPart {
  if (context) {
    const quick = new ListPartBuilder();
    if (readListFile(source.text, (kind, item) => compileListItem(quick, kind, item, source.path, context))) return quick.build();
  }
  const general = new ListPartBuilder();
  const s = checkShapes(problems, [new SourceFile(source.path, source.text)]);
  if (context) compileListEntries(problems, general, s.allow, s.deny, context);
  return general.build();
}

/**
 * A part of the plan compiled on its own: what was found wrong in it, and what it gave. The core (every
 * file but the list-only ones) and each list-only file are such parts, so a loader that reloads can keep
 * the parts whose files did not change.
 */
export interface Compiled<T> {
  problems: Problem[];
  value: T;
}

/** Everything but the list-only files: the plan without its list index, when its files are sound enough to go on. */
export function compileCoreFiles(files: readonly SourceFile[], dirLabel: string): Compiled<Core | undefined> {
  const problems = new Problems(dirLabel);
  const value = compileCore(problems, files, dirLabel);
  return { problems: problems.list, value };
}

/** A list-only file's entries, checked against the core's directory and numbering (none without a core). */
export function compileListFile(source: ListSource, core: Core | undefined, dirLabel: string): Compiled<ListPart> {
  const problems = new Problems(dirLabel);
  // Dates are read into this file's problems, never the core's (which a loader may keep).
  const context = core && { ...core.listContext, dates: new DateRanges(problems) };
  const value = listFilePart(problems, source, context);
  return { problems: problems.list, value };
}

/**
 * Puts the compiled parts together into one immutable Plan, or every problem found, each at its
 * file:line:column. The list-only files are compiled one at a time, after the core (`lists` gives each
 * when called), each into a packed part with no object per entry, and between files the event loop
 * runs, so a server reloading a large plan keeps answering calls; the index is built from the parts.
 */
export async function compileDialplan(core: Compiled<Core | undefined>, lists: readonly (() => Compiled<ListPart>)[]): Promise<LoadResult> {
  const problems = [...core.problems];
  const parts: ListPart[] = core.value ? [core.value.lists] : [];
  for (const list of lists) {
    await yieldToEventLoop();
    const compiled = list();
    problems.push(...compiled.problems);
    parts.push(compiled.value);
  }
  if (!core.value || problems.length > 0) return { ok: false, problems };
  return { ok: true, plan: Object.freeze({ ...core.value.plan, lists: new ListIndex(packLists(parts)) }) };
}

import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { isMap, isSeq, parseDocument, type Document, type YAMLSeq } from 'yaml';
import { loadPlan } from '../dialplan/load.js';
import type { Problem } from '../dialplan/problem.js';
import type { Plan } from '../policy/plan.js';
import { replayFiles, type ReplayChange } from '../oversight/replay.js';
import { appendEntry, changeEntry, removeEntry } from './yamlSplice.js';
import { textDiff } from './textDiff.js';
import { yamlFiles } from '../dialplan/yamlFiles.js';

/** The dialplan sections the admin API edits, by resource. */
export type Resource = 'lists' | 'grants';
export type Section = 'allow' | 'deny' | 'grants';
const SECTIONS: Record<Resource, Section[]> = { lists: ['allow', 'deny'], grants: ['grants'] };

export type Entry = Record<string, unknown>;

export interface LocatedEntry {
  id: string;
  section: Section;
  /** dialplan-relative "file:line". */
  where: string;
  entry: Entry;
}

interface Scan {
  version: string;
  entries: LocatedEntry[];
  /** dialplan-relative path -> text, of the files holding the resource's sections. */
  files: Map<string, string>;
  /** Per section: the file new entries go to. */
  homes: Map<Section, string>;
  /** id -> where it lives in the file (section index). */
  positions: Map<string, { file: string; section: Section; index: number }>;
}

/** Why an edit was not made, as the HTTP layer reports it. */
export class EditRefused extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 412 | 422 | 428,
    message: string,
    readonly problems?: Problem[],
    readonly version?: string,
  ) {
    super(message);
  }
}

export type EditOp = { op: 'add'; section: Section; entry: Entry } | { op: 'change'; id: string; entry: Entry } | { op: 'remove'; id: string };

export interface EditResult {
  dryRun: boolean;
  id: string;
  before?: Entry | undefined;
  after?: Entry | undefined;
  /** The change to the file, as a unified diff. */
  diff: string;
  /** Dry runs: the recent recorded calls the edited plan would decide differently from how they were decided. */
  calls?: RecentCallsImpact | undefined;
  file: string;
  version: string;
}

export interface RecentCallsImpact {
  /** Calls replayed (the record files of the last 31 days). */
  replayed: number;
  changed: number;
  /** `old action/reason -> new action/reason` with counts, most first. */
  byChange: [string, number][];
  /** The first changed calls (at most 100). */
  examples: ReplayChange[];
}

const MAX_EXAMPLES = 100;

const holds = (text: string, section: Section) => new RegExp(`^${section}\\s*:`, 'm').test(text);
const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/**
 * Edits the allow/deny lists and the grants in the dialplan files: each edit is made on the text
 * (comments and order kept), the whole plan is validated from a copy with the edit applied, and only
 * then is the file replaced atomically (temp file + rename) and the plan reloaded. Edits are serialised;
 * every resource has a version (a digest of the files holding it) for optimistic concurrency.
 */
export class PlanEditor {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly reload: () => Promise<void> = async () => {},
    /** The call-record files a dry run replays (the oversight replay); absent: dry runs do not replay. */
    private readonly recentCallFiles?: () => string[],
  ) {}

  private async scan(resource: Resource): Promise<Scan> {
    const hash = createHash('sha256');
    const files = new Map<string, string>();
    const homes = new Map<Section, string>();
    const entries: LocatedEntry[] = [];
    const positions = new Map<string, { file: string; section: Section; index: number }>();
    const counters = new Map<Section, number>();
    for (const path of await yamlFiles(this.dir)) {
      const rel = relative(this.dir, path).split(sep).join('/');
      if (rel.startsWith('numbering/')) continue;
      const text = await readFile(path, 'utf8');
      const sections = SECTIONS[resource].filter((s) => holds(text, s));
      if (sections.length === 0) continue;
      files.set(rel, text);
      hash.update(`${rel}\0${text}\0`);
      const doc = parseDocument(text);
      for (const section of sections) {
        if (!homes.has(section)) homes.set(section, rel);
        const seq = doc.get(section, true);
        if (!isSeq(seq)) continue;
        for (const [index, item] of seq.items.entries()) {
          const n = (counters.get(section) ?? 0) + 1;
          counters.set(section, n);
          const entry = (isMap(item) ? item.toJSON() : {}) as Entry;
          const id = section === 'grants' ? (typeof entry.id === 'string' ? entry.id : `grant-${n}`) : `${section}-${n}`;
          const range = (item as { range?: [number, number, number] }).range;
          entries.push({ id, section, where: `${rel}:${range ? lineOf(text, range[0]) : 1}`, entry });
          positions.set(id, { file: rel, section, index });
        }
      }
    }
    for (const section of SECTIONS[resource]) if (!homes.has(section)) homes.set(section, resource === 'lists' ? 'lists.yaml' : 'grants.yaml');
    return { version: `"${hash.digest('hex').slice(0, 20)}"`, entries, files, homes, positions };
  }

  async list(resource: Resource): Promise<{ version: string; entries: LocatedEntry[] }> {
    const { version, entries } = await this.scan(resource);
    return { version, entries };
  }

  /** Validates the whole plan with `file` replaced by `text`, from a temporary copy of the directory. */
  private async validate(file: string, text: string): Promise<{ problems: Problem[]; plan?: Plan }> {
    const copy = mkdtempSync(join(tmpdir(), 'callguard-edit-'));
    try {
      cpSync(this.dir, copy, { recursive: true, filter: (src) => !basename(src).includes('.callguard-tmp') });
      await writeFile(join(copy, file), text);
      const result = await loadPlan(copy);
      if (result.ok) return { problems: [], plan: result.plan };
      return { problems: result.problems.map((p) => ({ ...p, where: p.where.split(copy).join(this.dir).replace(`${this.dir}/`, '') })) };
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }

  /** The recent calls the edited plan decides differently (the oversight replay over the call records). */
  private impact(plan: Plan): RecentCallsImpact | undefined {
    if (!this.recentCallFiles) return undefined;
    const examples: ReplayChange[] = [];
    const summary = replayFiles(plan, this.recentCallFiles(), { onChange: (c) => void (examples.length < MAX_EXAMPLES && examples.push(c)) });
    return { replayed: summary.replayed, changed: summary.changed, byChange: summary.byChange, examples };
  }

  edit(resource: Resource, op: EditOp, ifMatch: string | undefined, dryRun: boolean): Promise<EditResult> {
    const run = this.queue.then(() => this.editNow(resource, op, ifMatch, dryRun));
    this.queue = run.catch(() => {});
    return run;
  }

  private async editNow(resource: Resource, op: EditOp, ifMatch: string | undefined, dryRun: boolean): Promise<EditResult> {
    const scan = await this.scan(resource);
    if (op.op !== 'add' && ifMatch === undefined) throw new EditRefused(428, 'If-Match is required: send the ETag of the list you read', undefined, scan.version);
    if (ifMatch !== undefined && ifMatch !== '*' && !ifMatch.split(',').map((s) => s.trim().replace(/^W\//, '')).includes(scan.version)) {
      throw new EditRefused(412, 'the entries changed since you read them: read them again and retry', undefined, scan.version);
    }
    let file: string;
    let id: string;
    let before: Entry | undefined;
    let after: Entry | undefined;
    let edit: (text: string, doc: Document) => string;
    if (op.op === 'add') {
      if (!SECTIONS[resource].includes(op.section)) throw new EditRefused(404, 'no such list');
      file = scan.homes.get(op.section)!;
      const n = scan.entries.filter((e) => e.section === op.section).length + 1;
      let entry = op.entry;
      if (op.section === 'grants') {
        if (entry.id === undefined) entry = { id: `${String(entry.user ?? 'grant')}-${randomBytes(3).toString('hex')}`, ...entry };
        if (scan.positions.has(String(entry.id))) throw new EditRefused(409, `a grant with id ${String(entry.id)} exists`);
        id = String(entry.id);
      } else {
        id = `${op.section}-${n}`;
      }
      after = entry;
      edit = (text, doc) => appendEntry(text, doc, op.section, entry as never);
    } else {
      const at = scan.positions.get(op.id);
      if (!at) throw new EditRefused(404, `no entry ${op.id}`);
      file = at.file;
      id = op.id;
      before = scan.entries.find((e) => e.id === op.id)!.entry;
      if (op.op === 'change') {
        if (at.section === 'grants' && op.entry.id !== undefined && op.entry.id !== before.id) throw new EditRefused(400, 'a grant id cannot be changed: remove the grant and add a new one');
        const entry = at.section === 'grants' && before.id !== undefined ? { id: before.id, ...op.entry } : op.entry;
        after = entry;
        edit = (text, doc) => changeEntry(text, doc, at.section, at.index, entry as never);
      } else {
        edit = (text, doc) => removeEntry(text, doc, at.section, at.index);
      }
    }
    const original = scan.files.get(file) ?? '';
    const doc = parseDocument(original);
    const text = edit(original, doc);
    const { problems, plan } = await this.validate(file, text);
    if (problems.length > 0 || !plan) throw new EditRefused(422, 'the edit would make the dialplan invalid; nothing was changed', problems, scan.version);
    const diff = textDiff(file, original, text);
    if (dryRun) return { dryRun, id, before, after, diff, file, version: scan.version, calls: this.impact(plan) };
    const target = join(this.dir, file);
    const temp = join(dirname(target), `.${basename(target)}.callguard-tmp-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(temp, text, { flag: 'wx' });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await this.reload();
    const { version } = await this.scan(resource);
    return { dryRun, id, before, after, diff, file, version };
  }
}

export function sectionsOf(resource: Resource): readonly Section[] {
  return SECTIONS[resource];
}

export type { YAMLSeq };

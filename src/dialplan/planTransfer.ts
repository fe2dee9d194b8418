import { Numbering } from '../numbering/classifier.js';
import type { NumberingSpec } from '../numbering/spec.js';
import { ListIndex, type PackedLists } from '../policy/listIndex.js';
import type { ClassOfService, Extension, Plan } from '../policy/plan.js';

/**
 * A compiled Plan crossing from a worker thread to the serving thread in pieces small enough that
 * no single message stalls the event loop: extensions in batches, then the rest, with the list index
 * as typed arrays that are transferred rather than copied. Tries and closures are rebuilt on arrival.
 * When the receiver already holds the plan's core (everything but the list index, from an earlier
 * load whose non-list files were the same), only the list index crosses.
 */
export type PlanMessage =
  | { type: 'classes'; classes: Map<string, ClassOfService>; numbering: NumberingSpec }
  | { type: 'extensions'; batch: PackedExtension[] }
  | { type: 'plan'; rest: PlanRest; lists: PackedLists }
  | { type: 'lists'; lists: PackedLists };

/** A Plan without its list index: what a reload after an edit to a list file leaves as it was. */
export type PlanCore = Omit<Plan, 'lists'>;

type PackedExtension = Omit<Extension, 'classOfService'> & { classOfService: string };
type PlanRest = Omit<Plan, 'numbering' | 'classify' | 'extensions' | 'classes' | 'lists'>;

/**
 * Well under a millisecond of work for the receiving thread per batch, and few new objects a turn: the
 * pieces all wait on the port, so one is taken every turn, and every object in them lives on; the fewer
 * a turn, the less the young-generation collections that follow have to copy (500 gave longer stalls).
 */
const BATCH = 250;

/** The plan's pieces; only its list index when `coreHeld` (the receiver has the rest from an earlier load). */
export function* packPlan(plan: Plan, coreHeld: boolean): Generator<{ message: PlanMessage; transfer: ArrayBuffer[] }> {
  const packed = plan.lists.packed;
  const transfer = Object.values(packed)
    .filter((v): v is ArrayBufferView => ArrayBuffer.isView(v))
    .map((v) => v.buffer as ArrayBuffer);
  if (coreHeld) {
    yield { message: { type: 'lists', lists: packed }, transfer };
    return;
  }
  yield { message: { type: 'classes', classes: new Map(plan.classes), numbering: plan.numbering.spec }, transfer: [] };
  let batch: PackedExtension[] = [];
  for (const e of plan.extensions.values()) {
    batch.push({ ...e, classOfService: e.classOfService.name });
    if (batch.length === BATCH) {
      yield { message: { type: 'extensions', batch }, transfer: [] };
      batch = [];
    }
  }
  if (batch.length > 0) yield { message: { type: 'extensions', batch }, transfer: [] };
  const { numbering: _numbering, classify: _classify, extensions: _extensions, classes: _classes, lists: _lists, ...rest } = plan;
  yield { message: { type: 'plan', rest, lists: packed }, transfer };
}

/**
 * The numbering tables of the last plan assembled, by their spec: compiling them again takes several
 * milliseconds on the serving thread, and most reloads (an extension, a list entry) leave them as they were.
 */
let lastNumbering: { spec: string; numbering: Numbering } | undefined;

function numberingOf(spec: NumberingSpec): Numbering {
  const text = JSON.stringify(spec);
  if (lastNumbering?.spec !== text) lastNumbering = { spec: text, numbering: new Numbering(spec) };
  return lastNumbering.numbering;
}

/** Receives the messages of `packPlan` in order and assembles the Plan; each call is a small slice of work. */
export class PlanAssembly {
  private readonly extensions = new Map<string, Extension>();
  private classes = new Map<string, ClassOfService>();
  private numbering: Numbering | undefined;

  /** `held`: the core this thread holds, for a load that sends only the list index. */
  constructor(private readonly held?: PlanCore) {}

  /** Returns the Plan once the last message has arrived. */
  receive(message: PlanMessage): Plan | undefined {
    if (message.type === 'lists') {
      if (!this.held) throw new Error('the dialplan loader thread sent a list index for a plan this thread does not hold');
      return Object.freeze({ ...this.held, lists: new ListIndex(message.lists) });
    }
    if (message.type === 'classes') {
      this.classes = message.classes;
      this.numbering = numberingOf(message.numbering);
      return undefined;
    }
    if (message.type === 'extensions') {
      // The batch is this thread's own copy: complete each entry in place rather than copy it again.
      for (const e of message.batch as unknown as Extension[]) {
        e.classOfService = this.classes.get(e.classOfService as unknown as string)!;
        this.extensions.set(e.ext, Object.freeze(e));
      }
      return undefined;
    }
    const { rest, lists } = message;
    const classes = this.classes;
    const numbering = this.numbering!;
    const classify = numbering.classifierFor({ country: rest.site.country, outsidePrefix: rest.site.outsidePrefix, areaCode: rest.site.areaCode });
    return Object.freeze({ ...rest, numbering, classify, extensions: this.extensions, classes, lists: new ListIndex(lists) });
  }
}

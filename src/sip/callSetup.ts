import type { Call } from '../policy/decide.js';
import type { Extension, Plan } from '../policy/plan.js';
import { displayName, headerUri, uriUser } from './uri.js';

/** What the edge reads from an INVITE; drachtio-srf's request satisfies it, and so can a test. */
export interface InviteView {
  uri: string;
  source_address: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

/** A call setup read from the wire: the policy's `Call`, plus what the actions need to place it. */
export interface CallSetup {
  call: Call;
  /** The caller's number as the B-leg presents it (their extension, or an outside caller's number). */
  callerNumber: string;
  callerName?: string | undefined;
  /** Calls from outside to an extension or its DDI. */
  inbound: boolean;
}

export type SetupResult = { ok: true; setup: CallSetup } | { ok: false; status: 400 | 404 | 416 | 484; problem: string };

/** Sources whose P-Asserted-Identity is believed (RFC 3325 trust domain). */
export type TrustedSources = ReadonlySet<string>;

const ddiIndexes = new WeakMap<Plan, Map<string, Extension>>();

/** DDI to extension, built once per plan snapshot. */
function ddiIndex(plan: Plan): Map<string, Extension> {
  let index = ddiIndexes.get(plan);
  if (!index) {
    index = new Map();
    for (const ext of plan.extensions.values()) if (ext.ddi) index.set(ext.ddi, ext);
    ddiIndexes.set(plan, index);
  }
  return index;
}

/** The extension a number from the trunk reaches: an extension number, or a DDI in any usual form. */
export function extensionReached(plan: Plan, dialled: string): Extension | undefined {
  const direct = plan.extensions.get(dialled);
  if (direct) return direct;
  const index = ddiIndex(plan);
  if (index.size === 0) return undefined;
  const exact = index.get(dialled);
  if (exact) return exact;
  // National, international-prefix and separated forms (`tel:+44-1707-284101`) go through the classifier.
  const d = plan.classify(dialled);
  const e164 = d.class === 'invalid' ? undefined : d.e164;
  return (e164 && index.get(e164)) || index.get(`+${dialled}`);
}

function identity(req: InviteView, trusted: TrustedSources): { user: string; name?: string | undefined } | undefined {
  const pai = trusted.has(req.source_address) ? req.get('p-asserted-identity') : undefined;
  for (const header of [pai, req.get('from')]) {
    if (!header) continue;
    const user = uriUser(headerUri(header));
    if (user.ok) return { user: user.user, name: displayName(header) };
  }
  return undefined;
}

/**
 * Reads who calls and what was dialled. The caller is the P-Asserted-Identity user when the request
 * comes from a trusted source, else the From user; what was dialled is the Request-URI user.
 */
export function callSetup(plan: Plan, req: InviteView, trusted: TrustedSources): SetupResult {
  const target = uriUser(req.uri);
  if (!target.ok) {
    return target.problem === 'unsupported-scheme'
      ? { ok: false, status: 416, problem: 'unsupported URI scheme' }
      : { ok: false, status: 484, problem: 'no number in the Request-URI' };
  }
  const caller = identity(req, trusted);
  if (!caller) return { ok: false, status: 400, problem: 'no caller in From' };
  const dialled = target.user;
  if (!plan.extensions.has(caller.user)) {
    const reached = extensionReached(plan, dialled);
    if (reached) return { ok: true, setup: { call: { from: caller.user, to: reached.ext }, callerNumber: caller.user, callerName: caller.name, inbound: true } };
  }
  return { ok: true, setup: { call: { from: caller.user, to: dialled }, callerNumber: caller.user, callerName: caller.name, inbound: false } };
}

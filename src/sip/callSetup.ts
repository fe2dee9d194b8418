import type { Call } from '../policy/decide.js';
import type { Extension, Plan } from '../policy/plan.js';
import type { LegReplaces } from './replaces.js';
import { dialledNumber } from './serviceUrn.js';
import { nameAddrList, parsedNameAddr, uriUser, type ParsedHeaders } from './uri.js';

/** What the edge reads from an INVITE; drachtio-srf's request satisfies it, and so can a test. */
export interface InviteView extends ParsedHeaders {
  uri: string;
  source_address: string;
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
  /** Why the caller is unknown, when neither P-Asserted-Identity nor From could be read (emergency calls only). */
  callerUnreadable?: string | undefined;
  /** The emergency service URN (RFC 5031) the Request-URI held; `call.to` is then the site's emergency number. */
  serviceUrn?: string | undefined;
  /** A transfer completing (RFC 3891 Replaces): the dialog the callee's leg replaces, named as the callee knows it. */
  replaces?: LegReplaces | undefined;
}

export type SetupResult = { ok: true; setup: CallSetup } | { ok: false; status: 400 | 404 | 416 | 484; problem: string };

/** Sources whose P-Asserted-Identity, Diversion and History-Info are believed (RFC 3325 trust domain). */
export type TrustedSources = ReadonlySet<string>;

/** The caller of an emergency call whose identity cannot be read: no extension, so the site's callback and address. */
export const UNKNOWN_CALLER = 'anonymous';

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
  return byPublicNumber(plan, dialled, (e164) => index.get(e164));
}

/** Looks up one of our public numbers as dialled from outside: E.164 as written, else in any usual form. */
export function byPublicNumber<T>(plan: Plan, dialled: string, get: (e164: string) => T | undefined): T | undefined {
  const exact = get(dialled);
  if (exact) return exact;
  // National, international-prefix and separated forms (`tel:+44-1707-284101`) go through the classifier.
  const d = plan.classify(dialled);
  const e164 = d.class === 'invalid' ? undefined : d.e164;
  return (e164 && get(e164)) || get(`+${dialled}`);
}

function identity(req: InviteView, trusted: boolean): { user: string; name?: string | undefined } | undefined {
  for (const header of trusted ? ['p-asserted-identity', 'from'] : ['from']) {
    const addr = parsedNameAddr(req, header);
    const user = addr && uriUser(addr.uri);
    if (user?.ok) return { user: user.user, name: addr!.name };
  }
  return undefined;
}

/**
 * The extension of ours that diverted this call (RFC 5806 Diversion: the most recent first; RFC 7044
 * History-Info: the last of our extensions before the new target), when a trusted source says so.
 */
function divertingExtension(plan: Plan, req: InviteView): Extension | undefined {
  const ours = (uri: string) => {
    const user = uriUser(uri);
    return user.ok ? plan.extensions.get(user.user) : undefined;
  };
  const diversion = req.get('diversion');
  if (diversion) {
    for (const entry of nameAddrList(diversion)) {
      const ext = ours(entry.uri);
      if (ext) return ext;
    }
  }
  const history = req.get('history-info');
  if (history) {
    const entries = nameAddrList(history).slice(0, -1);
    for (let i = entries.length - 1; i >= 0; i--) {
      const ext = ours(entries[i]!.uri);
      if (ext) return ext;
    }
  }
  return undefined;
}

/**
 * Reads who calls and what was dialled. The caller is the P-Asserted-Identity user when the request
 * comes from a trusted source, else the From user; what was dialled is the Request-URI user. A call a
 * trusted PBX forwards for one of our extensions is that extension's call to the new target. An
 * emergency number is never refused here: a caller that cannot be read is `UNKNOWN_CALLER`.
 */
export function callSetup(plan: Plan, req: InviteView, trusted: TrustedSources): SetupResult {
  const target = dialledNumber(plan, req.uri);
  if (!target.ok) {
    return target.problem === 'unsupported-scheme'
      ? { ok: false, status: 416, problem: 'unsupported URI scheme' }
      : { ok: false, status: 484, problem: 'no number in the Request-URI' };
  }
  const result = callFrom(plan, req, trusted, target.user);
  if (result.ok && target.serviceUrn) result.setup.serviceUrn = target.serviceUrn;
  return result;
}

function callFrom(plan: Plan, req: InviteView, trusted: TrustedSources, dialled: string): SetupResult {
  const fromTrusted = trusted.has(req.source_address);
  const caller = identity(req, fromTrusted);
  if (!caller) {
    if (plan.classify(dialled).class !== 'emergency') return { ok: false, status: 400, problem: 'no caller in From' };
    return { ok: true, setup: { call: { from: UNKNOWN_CALLER, to: dialled }, callerNumber: plan.site.mainNumber, inbound: false, callerUnreadable: 'no readable caller in From or P-Asserted-Identity' } };
  }
  const diverting = fromTrusted && !plan.extensions.has(caller.user) ? divertingExtension(plan, req) : undefined;
  // A forward to 999 is still the outside caller's emergency: the PSAP must not be sent to the diverting
  // phone's desk. Classified only for a forward, so no other call is classified twice.
  if (diverting && plan.classify(dialled).class !== 'emergency') {
    return { ok: true, setup: { call: { from: diverting.ext, to: dialled, forwarded: true }, callerNumber: caller.user, callerName: caller.name, inbound: false } };
  }
  if (!plan.extensions.has(caller.user)) {
    const reached = extensionReached(plan, dialled);
    if (reached) return { ok: true, setup: { call: { from: caller.user, to: reached.ext }, callerNumber: caller.user, callerName: caller.name, inbound: true } };
  }
  return { ok: true, setup: { call: { from: caller.user, to: dialled }, callerNumber: caller.user, callerName: caller.name, inbound: false } };
}

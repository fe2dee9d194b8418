import type { Grant } from '../policy/grant.js';
import type { CallbackHold } from '../policy/psapCallback.js';

/** What the store keeps per extension. The PIN hash stays in the store; replicas only know one exists. */
export interface PhoneRecord {
  unlockedSince?: number | undefined;
  lastCallAt?: number | undefined;
  failures: number;
  lockoutUntil?: number | undefined;
  hasPin: boolean;
}

/** What a replica holds for a phone: its record, or the fact that the store's copy could not be read. */
export type StoredPhone = PhoneRecord | 'unreadable';

export const EMPTY_PHONE: PhoneRecord = Object.freeze({ failures: 0, hasPin: false });

/** A value read back from the store that is not what callguard writes: reported and ignored. */
export class CorruptRecord extends Error {}

function optionalTime(fields: Record<string, string>, name: string): number | undefined {
  const raw = fields[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new CorruptRecord(`field ${name} is not a time`);
  return value;
}

/** Redis hash fields to a record; throws CorruptRecord naming the bad field (never its value: it may be a hash). */
export function phoneFromFields(fields: Record<string, string>): PhoneRecord {
  const failures = fields.failures === undefined ? 0 : Number(fields.failures);
  if (!Number.isSafeInteger(failures) || failures < 0) throw new CorruptRecord('field failures is not a count');
  if (fields.pin !== undefined && !fields.pin.startsWith('scrypt$')) throw new CorruptRecord('field pin is not a PIN hash');
  return {
    unlockedSince: optionalTime(fields, 'unlockedSince'),
    lastCallAt: optionalTime(fields, 'lastCallAt'),
    failures,
    lockoutUntil: optionalTime(fields, 'lockoutUntil'),
    hasPin: fields.pin !== undefined,
  };
}

interface StoredGrant {
  id: string;
  user: string;
  worldwide: boolean;
  countries: string[];
  prefixes: string[];
  from?: number;
  until?: number;
  reason: string;
  approver: string;
}

export function grantToJson({ where: _where, ...grant }: Grant): string {
  const stored: StoredGrant = { ...grant, countries: [...grant.countries], prefixes: [...grant.prefixes] };
  return JSON.stringify(stored);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isTime = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v));

export function grantFromJson(json: string): Grant {
  let g: Partial<StoredGrant>;
  try {
    g = JSON.parse(json) as Partial<StoredGrant>;
  } catch {
    throw new CorruptRecord('grant is not JSON');
  }
  const ok =
    typeof g.id === 'string' && typeof g.user === 'string' && typeof g.worldwide === 'boolean' && isStrings(g.countries) &&
    isStrings(g.prefixes) && isTime(g.from) && isTime(g.until) && typeof g.reason === 'string' && typeof g.approver === 'string';
  if (!ok) throw new CorruptRecord('grant lacks a field or has one of the wrong type');
  const s = g as StoredGrant;
  return { ...s, countries: new Set(s.countries), prefixes: s.prefixes, where: 'runtime' };
}

export function callbackToJson(hold: CallbackHold): string {
  return JSON.stringify(hold);
}

export function callbackFromJson(json: string): CallbackHold {
  let h: Partial<CallbackHold>;
  try {
    h = JSON.parse(json) as Partial<CallbackHold>;
  } catch {
    throw new CorruptRecord('callback hold is not JSON');
  }
  const ok =
    typeof h.number === 'string' && typeof h.ext === 'string' && typeof h.takenAt === 'number' && typeof h.until === 'number' &&
    typeof h.callId === 'string' && typeof h.dialled === 'string' && (h.location === undefined || typeof h.location === 'string');
  if (!ok) throw new CorruptRecord('callback hold lacks a field or has one of the wrong type');
  const { number, ext, takenAt, until, callId, dialled, location } = h as CallbackHold;
  return { number, ext, takenAt, until, callId, dialled, location };
}

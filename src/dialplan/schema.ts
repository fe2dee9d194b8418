import { PUBLIC_CLASSES } from '../numbering/destination.js';
import { REASONS } from '../policy/decision.js';
import { GRANTABLE_CLASSES, JOIN_EMERGENCY, type JoinEmergency } from '../policy/plan.js';

/** Shapes of the admin files as written (before compiling). The JSON Schema below enforces them. */
export interface SiteFile {
  name: string;
  country: string;
  outsidePrefix?: string;
  areaCode?: string;
  emergencyTrunk: string;
  securityControl: { target: string; failover?: string[]; answerTimeoutSeconds?: number };
  security?: SecurityFile;
  recording: { defaultNotice: string; retentionDays: number; noticeUnavailable: 'connect-flagged' | 'refuse'; directory?: string };
  featureCodes?: { lock?: string; unlock?: string; changePin?: string };
  announceRejects?: boolean;
  pin?: { length?: number; maxAttempts?: number; lockoutMinutes?: number };
  relock?: { idleMinutes?: number; endOfDay?: string };
  timezone?: string;
  mainNumber: string;
  address: CivicAddressFile;
  routes: { internal: string; external: string };
  review?: { costFlag?: number };
  emergency?: { callbackNumbers?: string[]; callbackMinutes?: number; callbackRingSeconds?: number };
}

/** Security on an emergency call, and who else is told of it: responders phoned, addresses e-mailed. */
export interface SecurityFile {
  joinEmergency?: JoinEmergency;
  callOut?: string[];
  email?: string[];
}

/** A call charge: pence (or cents) per started minute, plus a charge per answered call. */
export interface RateFile {
  perMinute: number;
  perCall?: number;
}

/** Estimated call costs for the monthly report: per class of destination, per country abroad. */
export interface TariffsFile {
  currency: string;
  classes?: Record<string, RateFile>;
  countries?: Record<string, RateFile>;
}

/** A civic address as RFC 5139 names its parts (country, A1 state, A3 city, RD road, PC postcode, ...). */
export type CivicAddressFile = { country: string } & Partial<Record<(typeof CIVIC_FIELDS)[number], string>>;

export interface ExtensionFile {
  ext: string;
  name: string;
  user?: string;
  class: string;
  department?: string;
  location?: string;
  ddi?: string;
  recorded?: boolean | { notice: string };
  emergencyLine?: boolean;
  address?: CivicAddressFile;
}

export interface GrantFile {
  id?: string;
  user: string;
  worldwide?: boolean;
  countries?: string[];
  prefixes?: string[];
  from?: string;
  until?: string;
  reason: string;
  approver: string;
}

export type AppliesToFile = 'everyone' | { users?: string[]; extensions?: string[]; classes?: string[] };

export interface ListEntryFile {
  number?: string;
  prefix?: string;
  for: AppliesToFile;
  reason: string;
  approver?: string;
  from?: string;
  until?: string;
}

/** Something callers hear: its words, and a recorded `audio` file (else rendered from the words). */
export interface SpokenFile {
  text: string;
  audio?: string;
}

export interface NumberingFile {
  plan: string;
  sites: string[];
  callingCode: string;
  trunkPrefix: string;
  internationalPrefix: string;
  nationalWithoutTrunk?: number[];
  localNumberLength?: number;
  domesticRegions: string[];
  emergency: string[];
  callPrefixes?: string[];
  withholdPrefixes?: string[];
  shortCodes: Record<string, string>;
  ranges: Record<string, string>;
  regions?: Record<string, string>;
}

export interface CountLimitFile {
  perHour?: number;
  perDay?: number;
}

export interface LimitSetFile {
  international?: CountLimitFile;
  highRisk?: CountLimitFile;
  concurrentAbroad?: number;
  minutesAbroadPerDay?: number;
}

export type LimitTierFile = LimitSetFile & { outOfHours?: LimitSetFile };

/** Toll-fraud limits on calls abroad: a default, per class of service, per user, and the whole site. */
export interface LimitsFile {
  outOfHours?: { from: string; to: string; weekends?: boolean };
  site?: { concurrentAbroad?: number; outOfHours?: { concurrentAbroad?: number } };
  default?: LimitTierFile;
  classes?: Record<string, LimitTierFile>;
  users?: Record<string, LimitTierFile>;
}

export interface InternationalFile {
  ranges?: Record<string, string>;
  highRiskCountries?: string[];
}

export interface DialplanFile {
  site?: SiteFile;
  classes?: Record<string, { allow: string[]; description?: string }>;
  extensions?: ExtensionFile[];
  grants?: GrantFile[];
  allow?: ListEntryFile[];
  deny?: ListEntryFile[];
  notices?: Record<string, SpokenFile>;
  prompts?: Record<string, SpokenFile & { reasons?: string[] }>;
  numbering?: NumberingFile;
  international?: InternationalFile;
  tariffs?: TariffsFile;
  limits?: LimitsFile;
}

/** A user name: a lower-case letter, then lower-case letters, digits and `._-`. */
export const USER_NAME = '^[a-z][a-z0-9._-]*$';
const digits = { type: 'string', pattern: '^[0-9]+$' };
const region = { type: 'string', pattern: '^[A-Z]{2}$' };
const text = { type: 'string', minLength: 1 };
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2})?(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?)?$' };
const names = { type: 'array', items: text };
const classTable = { type: 'object', additionalProperties: { enum: PUBLIC_CLASSES } };
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const featureCode = { type: 'string', pattern: '^\\*[0-9]{2,3}$' };
const e164 = { type: 'string', pattern: '^\\+[0-9]{6,15}$' };
/** Minor units (pence, cents) per started minute and per answered call. */
const rate = { type: 'object', additionalProperties: false, properties: { perMinute: { type: 'number', minimum: 0 }, perCall: { type: 'number', minimum: 0 } }, required: ['perMinute'] };
const clock = { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' };
const count = { type: 'integer', minimum: 0 };
const countLimit = strict({ perHour: count, perDay: count });
const limitSet = { international: countLimit, highRisk: countLimit, concurrentAbroad: count, minutesAbroadPerDay: count };
const limitTier = strict({ ...limitSet, outOfHours: strict(limitSet) });
/** A SIP next hop as routes are written: scheme, host, optional port and parameters, no user part. */
const sipHop = { type: 'string', pattern: '^sips?:[A-Za-z0-9.\\-\\[\\]:]+(;[A-Za-z0-9=._-]+)*$' };

/** RFC 5139 civic address elements accepted in `address` (country is required). */
export const CIVIC_FIELDS = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'PRD', 'POD', 'STS', 'HNO', 'HNS', 'LMK', 'LOC', 'FLR', 'NAM', 'PC', 'RD', 'BLD', 'UNIT', 'ROOM', 'SEAT', 'PLC'] as const;
const civicAddress = strict({ country: region, ...Object.fromEntries(CIVIC_FIELDS.map((f) => [f, text])) }, ['country']);

const listEntry = {
  ...strict(
    {
      number: { type: 'string', pattern: '^\\+?[0-9]+$' },
      prefix: { type: 'string', pattern: '^\\+?[0-9]+$' },
      for: { oneOf: [{ const: 'everyone' }, strict({ users: names, extensions: names, classes: names })] },
      reason: text,
      approver: text,
      from: date,
      until: date,
    },
    ['for', 'reason'],
  ),
  oneOf: [{ required: ['number'] }, { required: ['prefix'] }],
};

export const DIALPLAN_FILE_SCHEMA = strict({
  site: strict(
    {
      name: text,
      country: region,
      outsidePrefix: { type: 'string', pattern: '^[0-9]{1,2}$' },
      areaCode: { type: 'string', pattern: '^[0-9]{2,5}$' },
      emergencyTrunk: sipHop,
      mainNumber: e164,
      address: civicAddress,
      routes: strict({ internal: sipHop, external: sipHop }, ['internal', 'external']),
      securityControl: strict({ target: text, failover: names, answerTimeoutSeconds: { type: 'integer', minimum: 5, maximum: 120 } }, ['target']),
      security: strict({
        // Security on a 999 call: alerted only (notify), or called and joined to it muted (listen) or not (talk).
        joinEmergency: { enum: JOIN_EMERGENCY },
        // Responders phoned with a spoken message on every emergency call, and addresses e-mailed every alert.
        callOut: { type: 'array', items: text, uniqueItems: true },
        email: { type: 'array', items: { type: 'string', pattern: '^[^@\\s<>,;]+@[^@\\s<>,;]+\\.[^@\\s<>,;]+$' }, uniqueItems: true },
      }),
      recording: strict(
        {
          defaultNotice: text,
          // Policy 4: recordings are kept no longer than 12 months.
          retentionDays: { type: 'integer', minimum: 1, maximum: 365 },
          noticeUnavailable: { enum: ['connect-flagged', 'refuse'] },
          directory: text,
        },
        ['defaultNotice', 'retentionDays', 'noticeUnavailable'],
      ),
      pin: strict({
        length: { type: 'integer', minimum: 6, maximum: 12 },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
        lockoutMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
      }),
      relock: strict({ idleMinutes: { type: 'integer', minimum: 1, maximum: 1440 }, endOfDay: clock }),
      timezone: text,
      featureCodes: strict({ lock: featureCode, unlock: featureCode, changePin: featureCode }),
      announceRejects: { type: 'boolean' },
      // The monthly review flags users whose estimated cost passes this (in the tariff's currency).
      review: strict({ costFlag: { type: 'number', minimum: 0 } }),
      // PSAP callback for phones without a DDI; minutes may be a fraction (0.5 is 30 s).
      emergency: strict({
        callbackNumbers: { type: 'array', items: e164, minItems: 1, uniqueItems: true },
        callbackMinutes: { type: 'number', exclusiveMinimum: 0, maximum: 1440 },
        callbackRingSeconds: { type: 'integer', minimum: 5, maximum: 120 },
      }),
    },
    ['name', 'country', 'emergencyTrunk', 'mainNumber', 'address', 'routes', 'securityControl', 'recording'],
  ),
  classes: { type: 'object', additionalProperties: strict({ allow: { type: 'array', items: { enum: GRANTABLE_CLASSES } }, description: text }, ['allow']) },
  extensions: {
    type: 'array',
    items: strict(
      {
        ext: { type: 'string', pattern: '^[0-9]{2,8}$' },
        name: text,
        user: { type: 'string', pattern: USER_NAME },
        class: text,
        department: text,
        location: text,
        ddi: e164,
        recorded: { oneOf: [{ type: 'boolean' }, strict({ notice: text }, ['notice'])] },
        emergencyLine: { type: 'boolean' },
        address: civicAddress,
      },
      ['ext', 'name', 'class'],
    ),
  },
  grants: {
    type: 'array',
    items: {
      ...strict(
        {
          id: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
          user: text,
          worldwide: { type: 'boolean' },
          countries: { type: 'array', items: region },
          prefixes: { type: 'array', items: { type: 'string', pattern: '^\\+[0-9]{1,15}$' } },
          from: date,
          until: date,
          reason: text,
          approver: text,
        },
        ['user', 'reason', 'approver'],
      ),
      anyOf: [{ required: ['worldwide'] }, { required: ['countries'] }, { required: ['prefixes'] }],
    },
  },
  allow: { type: 'array', items: { ...listEntry, required: ['for', 'reason', 'approver'] } },
  deny: { type: 'array', items: listEntry },
  notices: { type: 'object', additionalProperties: strict({ text, audio: text }, ['text']) },
  prompts: { type: 'object', additionalProperties: strict({ text, audio: text, reasons: { type: 'array', items: { enum: REASONS } } }, ['text']) },
  numbering: strict(
    {
      plan: text,
      sites: { type: 'array', items: region, minItems: 1 },
      callingCode: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' },
      trunkPrefix: digits,
      internationalPrefix: digits,
      nationalWithoutTrunk: { type: 'array', items: { type: 'integer', minimum: 4, maximum: 14 } },
      localNumberLength: { type: 'integer', minimum: 4, maximum: 12 },
      domesticRegions: { type: 'array', items: region },
      emergency: { type: 'array', items: digits, minItems: 1 },
      // Star codes (*67) or, where the plan has them, digit codes (UK 141) dialled before a number.
      callPrefixes: { type: 'array', items: { type: 'string', pattern: '^(\\*[0-9]{2,3}|1[0-9]{2,3})$' } },
      // Of those, the ones that withhold the caller's number (UK 141, NANP *67).
      withholdPrefixes: { type: 'array', items: { type: 'string' } },
      shortCodes: classTable,
      ranges: classTable,
      regions: { type: 'object', additionalProperties: region },
    },
    ['plan', 'sites', 'callingCode', 'trunkPrefix', 'internationalPrefix', 'domesticRegions', 'emergency', 'shortCodes', 'ranges'],
  ),
  international: strict({ ranges: classTable, highRiskCountries: { type: 'array', items: region } }),
  limits: strict({
    outOfHours: strict({ from: clock, to: clock, weekends: { type: 'boolean' } }, ['from', 'to']),
    site: strict({ concurrentAbroad: count, outOfHours: strict({ concurrentAbroad: count }) }),
    default: limitTier,
    classes: { type: 'object', additionalProperties: limitTier },
    users: { type: 'object', additionalProperties: limitTier },
  }),
  tariffs: strict(
    {
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      classes: { type: 'object', propertyNames: { enum: PUBLIC_CLASSES.filter((c) => c !== 'emergency' && c !== 'invalid') }, additionalProperties: rate },
      countries: { type: 'object', propertyNames: { pattern: '^[A-Z]{2}$' }, additionalProperties: rate },
    },
    ['currency'],
  ),
});

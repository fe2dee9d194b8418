import type { Classify, Numbering } from '../numbering/classifier.js';
import { PUBLIC_CLASSES, type PublicClass } from '../numbering/destination.js';
import type { Feature, Reason } from './decision.js';
import type { Grant } from './grant.js';
import type { Limits } from './limits.js';
import type { ListIndex } from './listIndex.js';

/**
 * Classes no class of service opens: emergency always connects, invalid never does, and the rest open
 * only through grants (international, high-risk) or allow-list entries (premium, chat-line, directory).
 */
const NEVER_BY_CLASS = ['emergency', 'premium', 'chat-line', 'directory', 'international', 'high-risk', 'invalid'] as const;
export type GrantableClass = Exclude<PublicClass, (typeof NEVER_BY_CLASS)[number]>;
export const GRANTABLE_CLASSES: readonly GrantableClass[] = PUBLIC_CLASSES.filter(
  (c): c is GrantableClass => !(NEVER_BY_CLASS as readonly string[]).includes(c),
);

export interface ClassOfService {
  name: string;
  allow: ReadonlySet<PublicClass>;
  where: string;
}

/** Security Control on an emergency call: alerted only, or called and joined to it, muted or not. */
export const JOIN_EMERGENCY = ['notify', 'listen', 'talk'] as const;
export type JoinEmergency = (typeof JOIN_EMERGENCY)[number];

export type NoticeUnavailable = 'connect-flagged' | 'refuse';

/** Words a caller hears, and the audio file that says them (recorded, or rendered from the text). */
export interface Spoken {
  text: string;
  /** Absolute path of the WAV (8 kHz mono) the media server plays. */
  audio: string;
  where: string;
}

/** A civic address by RFC 5139 element name (country, A1, A3, RD, HNO, PC, NAM, LOC, ...), for PIDF-LO. */
export type CivicAddress = Readonly<{ country: string } & Record<string, string>>;

export interface Site {
  name: string;
  country: string;
  outsidePrefix?: string | undefined;
  /** NANP home area code: 555 0100 dialled here is +1 <areaCode> 555 0100. */
  areaCode?: string | undefined;
  /** SIP next hop (`sip:host:port;params`) for emergency calls. */
  emergencyTrunk: string;
  /** Callback number for extensions without a DDI. */
  mainNumber: string;
  address: CivicAddress;
  /** SIP next hops: `internal` for extensions, `external` for public numbers. */
  routes: { internal: string; external: string };
  securityControl: { target: string; failover: readonly string[]; answerTimeoutSeconds: number };
  /**
   * Security on an emergency call (`joinEmergency`), and who else is told of every alert: responders
   * phoned on every emergency call (extensions, E.164 numbers, SIP URIs), addresses e-mailed.
   */
  security: { joinEmergency: JoinEmergency; callOut: readonly string[]; email: readonly string[] };
  recording: { defaultNotice: string; retentionDays: number; noticeUnavailable: NoticeUnavailable; directory: string };
  /** Dialled code to feature: `*51` lock, `*52` unlock, `*53` change PIN in the sample. */
  featureCodes: ReadonlyMap<string, Feature>;
  /** Play a short spoken reason before a barred call's final response (needs the media server). */
  announceRejects: boolean;
  pin: { length: number; maxAttempts: number; lockoutMinutes: number };
  relock: { idleMinutes: number; endOfDay?: string | undefined };
  /** IANA zone the end-of-day re-lock time is read in. */
  timezone: string;
  /** The monthly review: users whose estimated cost passes `costFlag` (currency units) are flagged. */
  review?: { costFlag?: number | undefined } | undefined;
  /**
   * PSAP callback: a phone without a DDI calls an emergency number with one of `callbackNumbers` as its
   * callback; for `callbackMinutes` a call to that number rings the phone, then Security Control after
   * `callbackRingSeconds`.
   */
  emergency: { callbackNumbers: readonly string[]; callbackMinutes: number; callbackRingSeconds: number };
}

/** Minor units (pence, cents) per started minute and per answered call. */
export interface Rate {
  perMinute: number;
  perCall: number;
}

/** Estimated call costs for the monthly report (src/oversight); never read on the call path. */
export interface Tariffs {
  currency: string;
  classes: ReadonlyMap<string, Rate>;
  countries: ReadonlyMap<string, Rate>;
  where: string;
}

/** What kind of phone an extension is; emergency lines always carry a location for Security. */
export type ExtensionRole = { kind: 'desk' } | { kind: 'emergency-line'; location: string };

export interface Extension {
  ext: string;
  name: string;
  user?: string | undefined;
  classOfService: ClassOfService;
  role: ExtensionRole;
  /** Recording notice id when the extension is recorded. */
  recordedNotice?: string | undefined;
  location?: string | undefined;
  /** For the monthly usage review: calls and costs are reported per department. */
  department?: string | undefined;
  ddi?: string | undefined;
  /** The phone's own address when it sits away from the site's (another campus). */
  address?: CivicAddress | undefined;
  where: string;
}

/** The compiled, immutable dialplan snapshot every decision reads. */
export interface Plan {
  site: Site;
  numbering: Numbering;
  /** Classifier bound to the site's country and outside prefix. */
  classify: Classify;
  extensions: ReadonlyMap<string, Extension>;
  classes: ReadonlyMap<string, ClassOfService>;
  /** Dialplan grants by user id. */
  grants: ReadonlyMap<string, readonly Grant[]>;
  lists: ListIndex;
  notices: ReadonlyMap<string, Spoken>;
  /** What callers hear at PIN entry, feature codes and spoken rejects. */
  prompts: ReadonlyMap<string, Spoken>;
  /** The prompt that explains a refusal, by reason. */
  rejectPrompts: ReadonlyMap<Reason, string>;
  tariffs?: Tariffs | undefined;
  /** Toll-fraud limits on calls abroad (absent: none). */
  limits?: Limits | undefined;
}

import type { Classify, Numbering } from '../numbering/classifier.js';
import type { PublicClass } from '../numbering/destination.js';
import type { Grant } from './grant.js';
import type { ListIndex } from './listIndex.js';

/** Classes a class of service may open; the barred and international classes are never among them. */
export const GRANTABLE_CLASSES = [
  'public-service',
  'freephone',
  'geographic',
  'national',
  'mobile',
  'pager',
  'personal-number',
  'service-charge',
  'operator',
] as const satisfies readonly PublicClass[];
export type GrantableClass = (typeof GRANTABLE_CLASSES)[number];

export interface ClassOfService {
  name: string;
  allow: ReadonlySet<PublicClass>;
  where: string;
}

export type NoticeUnavailable = 'connect-flagged' | 'refuse';

export interface Site {
  name: string;
  country: string;
  outsidePrefix?: string | undefined;
  emergencyTrunk: string;
  securityControl: { target: string; failover: readonly string[]; answerTimeoutSeconds: number };
  recording: { defaultNotice: string; retentionDays: number; noticeUnavailable: NoticeUnavailable };
  pin: { length: number; maxAttempts: number; lockoutMinutes: number };
  relock: { idleMinutes: number; endOfDay?: string | undefined };
  /** IANA zone the end-of-day re-lock time is read in. */
  timezone: string;
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
  ddi?: string | undefined;
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
  notices: ReadonlyMap<string, { text: string; where: string }>;
}

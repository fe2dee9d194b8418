import type { Numbering } from '../numbering/classifier.js';
import type { Feature } from '../policy/decision.js';
import type { Extension, Site } from '../policy/plan.js';
import type { Located, Problems } from './located.js';
import type { SiteFile } from './schema.js';

const DEFAULTS = { pinLength: 6, maxAttempts: 5, lockoutMinutes: 15, idleMinutes: 30, answerTimeoutSeconds: 20, callbackMinutes: 60, callbackRingSeconds: 20, recordingDirectory: '/var/lib/callguard/recordings' };
const FEATURES = { lock: 'lock', unlock: 'unlock', changePin: 'change-pin' } as const satisfies Record<string, Feature>;

export function compileSite({ value }: Located<SiteFile>): Site {
  return {
    name: value.name,
    country: value.country,
    outsidePrefix: value.outsidePrefix,
    areaCode: value.areaCode,
    emergencyTrunk: value.emergencyTrunk,
    mainNumber: value.mainNumber,
    address: Object.freeze({ ...value.address }),
    routes: Object.freeze({ ...value.routes }),
    securityControl: {
      target: value.securityControl.target,
      failover: value.securityControl.failover ?? [],
      answerTimeoutSeconds: value.securityControl.answerTimeoutSeconds ?? DEFAULTS.answerTimeoutSeconds,
    },
    security: { joinEmergency: value.security?.joinEmergency ?? 'notify', callOut: value.security?.callOut ?? [], email: value.security?.email ?? [] },
    recording: { ...value.recording, directory: value.recording.directory ?? DEFAULTS.recordingDirectory },
    featureCodes: new Map(
      (Object.entries(value.featureCodes ?? {}) as [keyof typeof FEATURES, string][]).map(([name, code]) => [code, FEATURES[name]]),
    ),
    announceRejects: value.announceRejects ?? false,
    pin: {
      length: value.pin?.length ?? DEFAULTS.pinLength,
      maxAttempts: value.pin?.maxAttempts ?? DEFAULTS.maxAttempts,
      lockoutMinutes: value.pin?.lockoutMinutes ?? DEFAULTS.lockoutMinutes,
    },
    relock: { idleMinutes: value.relock?.idleMinutes ?? DEFAULTS.idleMinutes, endOfDay: value.relock?.endOfDay },
    timezone: value.timezone ?? 'UTC',
    review: value.review && { costFlag: value.review.costFlag },
    emergency: {
      callbackNumbers: Object.freeze([...(value.emergency?.callbackNumbers ?? [value.mainNumber])]),
      callbackMinutes: value.emergency?.callbackMinutes ?? DEFAULTS.callbackMinutes,
      callbackRingSeconds: value.emergency?.callbackRingSeconds ?? DEFAULTS.callbackRingSeconds,
    },
  };
}

/** A site's home area code must be one of its own country's area codes, in a plan with local dialling. */
export function checkAreaCode(problems: Problems, at: Located<SiteFile>, numbering: Numbering): void {
  const { areaCode, country } = at.value;
  if (areaCode === undefined) return;
  const problem = numbering.areaCodeProblem(country, areaCode);
  if (problem) problems.at(at, ['areaCode'], problem);
}

/** The site's IANA time zone, for the end-of-day re-lock; an unknown zone is an admin error. */
export function checkTimezone(problems: Problems, at: Located<SiteFile>): void {
  const zone = at.value.timezone;
  if (zone === undefined || Intl.supportedValuesOf('timeZone').includes(zone)) return;
  // Not a canonical name: an alias (UTC, US/Eastern) is still one a formatter takes. The first formatter
  // a process makes costs about 15 ms of ICU set-up, so the list (under 2 ms) is asked first.
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    problems.at(at, ['timezone'], `unknown time zone "${zone}" (use an IANA name such as Europe/London)`);
  }
}

/** Security Control, its failovers and the call-out's responders must be reachable: an extension, a SIP URI or an E.164 number. */
export function checkSecurityTargets(problems: Problems, at: Located<SiteFile>, site: Site, extensions: ReadonlyMap<string, Extension>): void {
  const reachable = (target: string) => extensions.has(target) || /^sips?:/.test(target) || /^\+[0-9]{6,15}$/.test(target);
  [site.securityControl.target, ...site.securityControl.failover].forEach((target, i) => {
    if (reachable(target)) return;
    const path = i === 0 ? ['securityControl', 'target'] : ['securityControl', 'failover', i - 1];
    problems.at(at, path, `Security Control target "${target}" is neither an extension, a sip: URI nor an E.164 number`);
  });
  site.security.callOut.forEach((responder, i) => {
    if (!reachable(responder)) problems.at(at, ['security', 'callOut', i], `call-out responder "${responder}" is neither an extension, a sip: URI nor an E.164 number`);
  });
}

import type { DestinationClass } from '../numbering/destination.js';
import type { Extension } from './plan.js';

/** The destination classes calls abroad are: granted per user, PIN-locked, limited. */
export const ABROAD: ReadonlySet<DestinationClass> = new Set<DestinationClass>(['international', 'high-risk']);

/**
 * Toll-fraud limits (IRSF runs up international and high-risk calls at night and at weekends): how
 * many calls abroad one user may make an hour and a day, how many at once, how many minutes a day,
 * and the same for the whole site, with lower limits out of hours. Pure: the edge passes in what has
 * been used (CallerUsage) with the caller's phone state, as it does the lock.
 */
export interface CountLimit {
  perHour?: number | undefined;
  perDay?: number | undefined;
}

export interface LimitSet {
  international?: CountLimit | undefined;
  highRisk?: CountLimit | undefined;
  concurrentAbroad?: number | undefined;
  minutesAbroadPerDay?: number | undefined;
}

/** One level of the limits (default, a class of service, a user): in hours, and what changes out of hours. */
export interface LimitTier {
  inHours: LimitSet;
  outOfHours: LimitSet;
  where: string;
}

/** Site-local minutes after midnight; `from` > `to` spans midnight. */
export interface OutOfHours {
  from: number;
  to: number;
  weekends: boolean;
}

export interface Limits {
  outOfHours?: OutOfHours | undefined;
  default?: LimitTier | undefined;
  classes: ReadonlyMap<string, LimitTier>;
  users: ReadonlyMap<string, LimitTier>;
  site: LimitTier;
}

/** Calls abroad already made in the current hour and site-local day, and running now. */
export interface CallerUsage {
  international: { hour: number; day: number };
  highRisk: { hour: number; day: number };
  concurrentAbroad: number;
  minutesAbroadToday: number;
  siteConcurrentAbroad: number;
  /** Site-local time now, as the edge's clock reads it. */
  local: LocalTime;
}

export interface LocalTime {
  /** yyyy-mm-dd in the site's time zone: the day the per-day limits count. */
  day: string;
  minuteOfDay: number;
  /** 0 Sunday .. 6 Saturday. */
  weekday: number;
}

export const LIMIT_NAMES = [
  'international-per-hour',
  'international-per-day',
  'high-risk-per-hour',
  'high-risk-per-day',
  'concurrent-abroad',
  'minutes-abroad-per-day',
  'site-concurrent-abroad',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export interface Breach {
  limit: LimitName;
  max: number;
  outOfHours: boolean;
  /** Who the limit counts: the user (or the extension without one), or the whole site. */
  scope: string;
  where: string;
}

export function isOutOfHours(window: OutOfHours | undefined, local: LocalTime): boolean {
  if (!window) return false;
  if (window.weekends && (local.weekday === 0 || local.weekday === 6)) return true;
  const m = local.minuteOfDay;
  return window.from <= window.to ? m >= window.from && m < window.to : m >= window.from || m < window.to;
}

/** Whose calls a limit counts: the user, so that moving desks does not reset it. */
export function usageKey(caller: Extension): string {
  return caller.user ?? `ext:${caller.ext}`;
}

/** The first limit a call abroad from `caller` would pass, or undefined when it may proceed. */
export function limitBreach(limits: Limits, caller: Extension, highRisk: boolean, usage: CallerUsage): Breach | undefined {
  const off = isOutOfHours(limits.outOfHours, usage.local);
  // Most specific first: the user's own limits, then the class of service, then the default.
  const tiers = [caller.user === undefined ? undefined : limits.users.get(caller.user), limits.classes.get(caller.classOfService.name), limits.default];
  const scope = usageKey(caller);
  const pick = <T>(read: (set: LimitSet) => T | undefined): { value: T; where: string } | undefined => {
    for (const tier of tiers) {
      const value = tier && ((off ? read(tier.outOfHours) : undefined) ?? read(tier.inHours));
      if (value !== undefined) return { value, where: tier!.where };
    }
    return undefined;
  };
  const over = (limit: LimitName, max: { value: number; where: string } | undefined, used: number, who = scope): Breach | undefined =>
    max !== undefined && used >= max.value ? { limit, max: max.value, outOfHours: off, scope: who, where: max.where } : undefined;
  const counted = highRisk ? usage.highRisk : usage.international;
  const kind = highRisk ? 'high-risk' : 'international';
  const siteMax = (off ? limits.site.outOfHours.concurrentAbroad : undefined) ?? limits.site.inHours.concurrentAbroad;
  return (
    over(`${kind}-per-hour`, pick((s) => (highRisk ? s.highRisk : s.international)?.perHour), counted.hour) ??
    over(`${kind}-per-day`, pick((s) => (highRisk ? s.highRisk : s.international)?.perDay), counted.day) ??
    over('concurrent-abroad', pick((s) => s.concurrentAbroad), usage.concurrentAbroad) ??
    over('minutes-abroad-per-day', pick((s) => s.minutesAbroadPerDay), usage.minutesAbroadToday) ??
    over('site-concurrent-abroad', siteMax === undefined ? undefined : { value: siteMax, where: limits.site.where }, usage.siteConcurrentAbroad, 'site')
  );
}

import type { LimitSet, Limits, LimitTier } from '../policy/limits.js';
import type { Located, Problems } from './located.js';
import type { LimitSetFile, LimitsFile, LimitTierFile } from './schema.js';

const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

function limitSet(file: LimitSetFile | undefined): LimitSet {
  return Object.freeze({ ...file });
}

function tier(at: Located<LimitsFile>, path: (string | number)[], file: LimitTierFile): LimitTier {
  const { outOfHours, ...inHours } = file;
  return Object.freeze({ inHours: limitSet(inHours), outOfHours: limitSet(outOfHours), where: at.file.line([...at.path, ...path]) });
}

/** The toll-fraud limits (shape checked by the schema); classes and users must exist, out-of-hours limits need a window. */
export function compileLimits(problems: Problems, at: Located<LimitsFile>, known: { classes: ReadonlyMap<string, unknown>; users: ReadonlySet<string> }): Limits {
  const l = at.value;
  const named = (section: 'classes' | 'users', exists: (name: string) => boolean) =>
    new Map(
      Object.entries(l[section] ?? {}).flatMap(([name, file]): [string, LimitTier][] => {
        if (exists(name)) return [[name, tier(at, [section, name], file)]];
        problems.at(at, [section, name], `unknown ${section === 'classes' ? 'class of service' : 'user'} "${name}"`, true);
        return [];
      }),
    );
  const tiers: [string, LimitTierFile | undefined][] = [['default', l.default], ...Object.entries(l.classes ?? {}).map(([n, t]): [string, LimitTierFile] => [`classes.${n}`, t]), ...Object.entries(l.users ?? {}).map(([n, t]): [string, LimitTierFile] => [`users.${n}`, t])];
  if (!l.outOfHours && (l.site?.outOfHours || tiers.some(([, t]) => t?.outOfHours))) {
    problems.at(at, [], 'out-of-hours limits need an outOfHours window (from, to, weekends) to say when they apply', true);
  }
  const window = l.outOfHours && { from: minutes(l.outOfHours.from), to: minutes(l.outOfHours.to), weekends: l.outOfHours.weekends ?? false };
  if (window && window.from === window.to) problems.at(at, ['outOfHours', 'to'], 'the out-of-hours window starts and ends at the same time');
  const { outOfHours: siteOff, ...siteIn } = l.site ?? {};
  return Object.freeze({
    outOfHours: window,
    default: l.default && tier(at, ['default'], l.default),
    classes: named('classes', (n) => known.classes.has(n)),
    users: named('users', (n) => known.users.has(n)),
    site: Object.freeze({ inHours: limitSet(siteIn), outOfHours: limitSet(siteOff), where: at.file.line([...at.path, 'site']) }),
  });
}

import { isKnownRegion } from '../numbering/callingCodes.js';
import type { Grant } from '../policy/grant.js';
import type { DateRanges } from './dates.js';
import type { Located, Problems } from './located.js';
import type { GrantFile } from './schema.js';

/** International grants by user; each must name a known user and real countries. */
export function compileGrants(problems: Problems, items: Located<GrantFile>[], users: ReadonlySet<string>, dates: DateRanges): Map<string, Grant[]> {
  const byUser = new Map<string, Grant[]>();
  const ids = new Map<string, Located<GrantFile>>();
  for (const at of items) {
    const g = at.value;
    const where = at.file.line(at.path);
    const id = g.id ?? `${g.user}@${where}`;
    const first = ids.get(id);
    if (first) problems.at(at, ['id'], `grant id "${id}" is used again (first at ${first.file.at(first.path)})`);
    ids.set(id, at);
    if (!users.has(g.user)) problems.at(at, ['user'], `grant for unknown user "${g.user}" (no extension has user: ${g.user})`);
    (g.countries ?? []).forEach((c, i) => {
      if (!isKnownRegion(c)) problems.at(at, ['countries', i], `unknown country code ${c}`);
    });
    const range = dates.read(at);
    if (!range) continue;
    const grant: Grant = {
      id,
      user: g.user,
      worldwide: g.worldwide ?? false,
      countries: new Set(g.countries ?? []),
      prefixes: (g.prefixes ?? []).map((p) => p.slice(1)),
      ...range,
      reason: g.reason,
      approver: g.approver,
      where,
    };
    byUser.set(g.user, [...(byUser.get(g.user) ?? []), grant]);
  }
  return byUser;
}

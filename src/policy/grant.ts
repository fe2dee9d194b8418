/** Permission for one user to call abroad, from a dialplan file or issued at run time by an admin. */
export interface Grant {
  id: string;
  user: string;
  /** Every country except high-risk destinations, which always need naming. */
  worldwide: boolean;
  /** ISO 3166 regions named explicitly; naming a high-risk country grants it. */
  countries: ReadonlySet<string>;
  /** E.164 digit prefixes (no '+') named explicitly, for global services such as 881 (satellite). */
  prefixes: readonly string[];
  /** Epoch milliseconds; absent = open-ended. */
  from?: number | undefined;
  until?: number | undefined;
  reason: string;
  approver: string;
  /** "file:line" for dialplan grants, "runtime" for grants issued through the state store. */
  where: string;
}

export function grantIsActive(grant: Grant, now: number): boolean {
  return (grant.from === undefined || grant.from <= now) && (grant.until === undefined || now < grant.until);
}

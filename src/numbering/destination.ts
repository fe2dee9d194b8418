/** Destination classes of DESIGN.md. `internal` is decided by the policy (directory lookup), never by classify. */
export const PUBLIC_CLASSES = [
  'emergency',
  'public-service',
  'freephone',
  'geographic',
  'national',
  'mobile',
  'pager',
  'personal-number',
  'service-charge',
  'premium',
  'chat-line',
  'directory',
  'operator',
  'international',
  'high-risk',
  'invalid',
] as const;

export type PublicClass = (typeof PUBLIC_CLASSES)[number];
export type DestinationClass = PublicClass | 'internal';

/** Where a class came from, so an admin can see why a number is what it is. */
export type ClassSource =
  | { kind: 'table'; rule: string } // a line of a dialplan/numbering file, "file:line"
  | { kind: 'library' } // libphonenumber-js/max decided
  | { kind: 'syntax' }; // the string itself (empty, letters, too long, unknown country code)

export type Destination =
  | { class: 'invalid'; source: ClassSource }
  | {
      class: Exclude<PublicClass, 'invalid'>;
      /** E.164 with '+', absent for short codes that have no E.164 form. */
      e164?: string;
      /** The short code as dialled (118118, 411), for codes with no E.164 form. */
      shortCode?: string;
      /** ISO 3166 region; absent for global services such as +881. */
      country?: string;
      source: ClassSource;
    };

export function isPublicClass(value: string): value is PublicClass {
  return (PUBLIC_CLASSES as readonly string[]).includes(value);
}

import type { NumberType } from 'libphonenumber-js/max';
import type { PublicClass } from './destination.js';
import { phoneLibrary } from './library.js';

const CLASS_OF_TYPE: Record<NonNullable<NumberType>, PublicClass> = {
  FIXED_LINE: 'geographic',
  FIXED_LINE_OR_MOBILE: 'geographic',
  MOBILE: 'mobile',
  TOLL_FREE: 'freephone',
  PREMIUM_RATE: 'premium',
  SHARED_COST: 'service-charge',
  PERSONAL_NUMBER: 'personal-number',
  PAGER: 'pager',
  UAN: 'national',
  VOIP: 'national',
  VOICEMAIL: 'national',
};

/** The slow path: a full libphonenumber-js/max parse for numbers no table decides. */
export function classOfLibraryType(e164: string): PublicClass {
  const parsed = phoneLibrary().parsePhoneNumberFromString(e164);
  if (!parsed?.isValid()) return 'invalid';
  const type = parsed.getType();
  return type ? CLASS_OF_TYPE[type] : 'invalid';
}

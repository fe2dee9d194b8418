/** Why a PIN is refused, in words that never repeat the PIN. */
export type WeakPin = 'wrong-length' | 'not-digits' | 'one-digit' | 'run' | 'extension' | 'ddi';

const MESSAGES: Record<WeakPin, string> = {
  'wrong-length': 'the PIN has the wrong number of digits',
  'not-digits': 'a PIN is digits only',
  'one-digit': 'a PIN of one repeated digit is too easy to guess',
  run: 'an ascending or descending run of digits is too easy to guess',
  extension: "a PIN may not contain the phone's own extension",
  ddi: "a PIN may not be the start or end of the phone's direct-dial number",
};

export function weakPinMessage(reason: WeakPin): string {
  return MESSAGES[reason];
}

/** Every digit one more (or one less) than the one before, wrapping 9 to 0: 123456, 987654, 890123. */
function isRun(pin: string): boolean {
  const steps = new Set<number>();
  for (let i = 1; i < pin.length; i++) steps.add((pin.charCodeAt(i) - pin.charCodeAt(i - 1) + 10) % 10);
  return steps.size === 1 && (steps.has(1) || steps.has(9));
}

/** Extensions this short occur in half of all PINs by chance; only longer ones are looked for inside a PIN. */
const SHORT_EXTENSION = 3;

/**
 * Checks a new PIN for a phone. `ddi` is E.164 ("+441707284101"); its first and last six digits are
 * tried in international and national form, as people pick the number they see on the phone.
 */
export function weakPin(pin: string, length: number, ext: string, ddi?: string): WeakPin | undefined {
  if (!/^[0-9]+$/.test(pin)) return 'not-digits';
  if (pin.length !== length) return 'wrong-length';
  if (/^(\d)\1*$/.test(pin)) return 'one-digit';
  if (isRun(pin)) return 'run';
  if (pin === ext || (ext.length > SHORT_EXTENSION && pin.includes(ext))) return 'extension';
  if (ddi) {
    const international = ddi.replace(/^\+/, '');
    // National forms: NANP drops the 1; two-digit country codes such as 44 become a trunk 0.
    const forms = [international, international.slice(1), `0${international.slice(2)}`];
    if (forms.some((d) => pin.includes(d.slice(0, 6)) || pin.includes(d.slice(-6)))) return 'ddi';
  }
  return undefined;
}

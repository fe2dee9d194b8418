/** A dial string reduced to what was dialled: an optional leading '+' and digits. */
export interface Dialled {
  plus: boolean;
  digits: string;
}

/** Longest string a phone can sensibly send; E.164 itself stops at 15 digits. */
const MAX_INPUT = 64;

/**
 * Strips the punctuation people paste (spaces, dashes, dots, parentheses, '(0)' after a '+') and a
 * trailing '#', and returns null for anything that is not a dial string: letters, a second '+', empty.
 */
export function normaliseDialString(input: string): Dialled | null {
  if (input.length === 0 || input.length > MAX_INPUT) return null;
  const plain = plainDigits(input);
  if (plain !== null) return plain;
  let digits = '';
  let plus = false;
  // Runs of digits are appended whole: one string per run rather than one per digit.
  let run = -1;
  // Many desk phones send the '#' "dial now" key along with the number: 999# is still 999.
  const end = input.endsWith('#') ? input.length - 1 : input.length;
  for (let i = 0; i < end; i++) {
    const c = input.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (run < 0) run = i;
      continue;
    }
    if (run >= 0) {
      digits += input.slice(run, i);
      run = -1;
    }
    if (c === 43 /* + */) {
      if (plus || digits.length > 0) return null;
      plus = true;
    } else if (c === 40 /* ( */ && plus && input.startsWith('(0)', i)) {
      // "+44 (0)20 ..." : the trunk zero written for national readers, not dialled.
      i += 2;
    } else if (c !== 32 && c !== 45 && c !== 46 && c !== 40 && c !== 41 && c !== 9) {
      return null;
    }
  }
  if (run >= 0) digits += input.slice(run, end);
  return digits.length === 0 ? null : { plus, digits };
}

/** Digits alone, or '+' and digits, as most dial strings arrive: no copy is made. Null for anything else. */
function plainDigits(input: string): Dialled | null {
  const plus = input.charCodeAt(0) === 43;
  const from = plus ? 1 : 0;
  if (from === input.length) return null;
  for (let i = from; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return { plus, digits: plus ? input.slice(1) : input };
}

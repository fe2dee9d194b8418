import { giveUp, plainString, quotedDigits, readFlatItems, type FlatItemForm } from './flatItems.js';
import type { PlainYaml } from './plainYaml.js';
import { USER_NAME, type ExtensionFile } from './schema.js';

/**
 * A reader for extension files in the form generators write (50,000 extensions and more, in the flat
 * form of flatItems.ts):
 *
 *   extensions:
 *     - ext: "500000"                  (quoted, 2 to 8 digits)
 *       name: Person 0
 *       user: u0
 *       class: staff
 *       location: Block 0, room 0      (and department:, ddi: "+44...", recorded: and emergencyLine: true or false)
 *
 * It gives what plainYaml.ts gives for such a file (the data YAML gives, and the line each item opens
 * on), and only for a file whose shape the schema accepts as it stands, so that file needs no schema
 * pass; on anything else (an address, a recorded notice, a value the schema would refuse) it gives up.
 */
export function readExtensionFile(text: string): PlainYaml | undefined {
  const form = new ExtensionForm();
  if (!readFlatItems(text, form)) return undefined;
  const data = { extensions: form.extensions };
  form.openedAt.set(data, form.sectionLine).set(form.extensions, form.sectionLine);
  return { data, openedAt: form.openedAt };
}

const KEYS = ['ext', 'name', 'user', 'class', 'department', 'location', 'ddi', 'recorded', 'emergencyLine'] as const;
const EXT = 0;
const NAME = 1;
const USER = 2;
const CLASS = 3;
const DDI = 6;
const RECORDED = 7;
const EMERGENCY_LINE = 8;
const USER_NAME_PATTERN = new RegExp(USER_NAME);

class ExtensionForm implements FlatItemForm {
  readonly sections = ['extensions'];
  readonly keys = KEYS;
  readonly extensions: ExtensionFile[] = [];
  readonly openedAt = new Map<object, number>();
  sectionLine = 0;
  private item: Record<string, unknown> = {};

  section(_section: number, line: number): void {
    this.sectionLine = line;
  }

  begin(line: number): void {
    this.item = {};
    this.openedAt.set(this.item, line);
  }

  value(key: number, text: string, start: number, end: number): void {
    let value: string | boolean;
    if (key === EXT) value = quotedDigits(text, start, end, 'no plus', 2, 8);
    else if (key === DDI) value = quotedDigits(text, start, end, 'plus', 6, 15);
    else if (key === RECORDED || key === EMERGENCY_LINE) value = text.startsWith('true', start) && end - start === 4 ? true : text.startsWith('false', start) && end - start === 5 ? false : giveUp();
    else {
      value = plainString(text, start, end);
      if (key === USER && !USER_NAME_PATTERN.test(value)) giveUp();
    }
    this.item[KEYS[key]!] = value;
  }

  close(written: number): void {
    if ((written & ((1 << EXT) | (1 << NAME) | (1 << CLASS))) !== ((1 << EXT) | (1 << NAME) | (1 << CLASS))) giveUp();
    this.extensions.push(this.item as unknown as ExtensionFile);
  }
}

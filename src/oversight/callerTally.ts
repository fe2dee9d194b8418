/**
 * The report's running figures per caller, in one Float64Array: a row per caller holding its calls, PIN
 * prompts, PIN failures and lockouts, then per class (a column) its calls, answered calls, seconds, cost
 * and barred attempts, and whether the numbers tried are all kept. A
 * record adds to one row, in one place in memory, rather than to a map and objects scattered over the
 * heap (at ten million records those cache misses were most of the report's time).
 */
export const CALLS = 0;
export const PIN_PROMPTS = 1;
export const PIN_FAILURES = 2;
export const PIN_LOCKOUTS = 3;
const HEAD = 4;
const CELL = 6;
const BARRED = 4;
const NUMBERS_DONE = 5;

export interface ColumnFigures {
  calls: number;
  answered: number;
  seconds: number;
  cost: number;
  barred: number;
}

export class CallerTally {
  private cells = new Float64Array(0);
  private rowCap = 0;
  private classCap = 8;
  private rows = 0;

  get rowCount(): number {
    return this.rows;
  }

  private get stride(): number {
    return HEAD + this.classCap * CELL;
  }

  /** A new row, all zero. */
  addRow(): number {
    if (this.rows === this.rowCap) this.resize(Math.max(64, this.rowCap * 2), this.classCap);
    return this.rows++;
  }

  /** Makes room for class index `cls` (classes are numbered by the caller from 0). */
  ensureClass(cls: number): void {
    if (cls >= this.classCap) this.resize(this.rowCap, Math.max(cls + 1, this.classCap * 2));
  }

  count(row: number, what: number, n = 1): void {
    this.cells[row * this.stride + what]! += n;
  }

  call(row: number, cls: number, answered: boolean, seconds: number, cost: number): void {
    const k = row * this.stride + HEAD + cls * CELL;
    const cells = this.cells;
    cells[row * this.stride + CALLS]!++;
    cells[k]!++;
    if (answered) cells[k + 1]!++;
    cells[k + 2]! += seconds;
    cells[k + 3]! += cost;
  }

  /** Counts a barred attempt; true while the numbers tried are still wanted (see `numbersKept`). */
  barred(row: number, cls: number): boolean {
    const k = row * this.stride + HEAD + cls * CELL;
    const cells = this.cells;
    cells[row * this.stride + CALLS]!++;
    cells[k + BARRED]!++;
    return cells[k + NUMBERS_DONE] === 0;
  }

  /** No more numbers tried are wanted for this row and column (until `clear`). */
  numbersKept(row: number, cls: number): void {
    this.cells[row * this.stride + HEAD + cls * CELL + NUMBERS_DONE] = 1;
  }

  counts(row: number): { calls: number; pinPrompts: number; pinFailures: number; pinLockouts: number } {
    const at = row * this.stride;
    const c = this.cells;
    return { calls: c[at + CALLS]!, pinPrompts: c[at + PIN_PROMPTS]!, pinFailures: c[at + PIN_FAILURES]!, pinLockouts: c[at + PIN_LOCKOUTS]! };
  }

  /** Each column of the row with calls or barred attempts: its index and figures. */
  *columns(row: number): Generator<[number, ColumnFigures]> {
    const c = this.cells;
    for (let cls = 0; cls < this.classCap; cls++) {
      const k = row * this.stride + HEAD + cls * CELL;
      if (c[k]! > 0 || c[k + BARRED]! > 0) yield [cls, { calls: c[k]!, answered: c[k + 1]!, seconds: c[k + 2]!, cost: c[k + 3]!, barred: c[k + BARRED]! }];
    }
  }

  /** Every figure back to zero; rows stay numbered as they were. */
  clear(): void {
    this.cells.fill(0);
  }

  private resize(rowCap: number, classCap: number): void {
    const stride = HEAD + classCap * CELL;
    const cells = new Float64Array(rowCap * stride);
    const old = this.stride;
    for (let r = 0; r < this.rows; r++) cells.set(this.cells.subarray(r * old, (r + 1) * old), r * stride);
    this.cells = cells;
    this.rowCap = rowCap;
    this.classCap = classCap;
  }
}

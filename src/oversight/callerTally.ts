/**
 * The report's running figures per caller, in one Float64Array: a row per caller holding its PIN
 * prompts, PIN failures and lockouts, then per class (a column) its calls, answered calls, seconds,
 * cost, barred attempts and other refused calls, and whether the numbers tried are all kept. A record
 * adds to one cell of eight numbers (a cache line), rather than to a map and objects scattered over the
 * heap: at ten million records those cache misses were most of the report's time.
 */
export const PIN_PROMPTS = 0;
export const PIN_FAILURES = 1;
export const PIN_LOCKOUTS = 2;
const HEAD = 8;
const CELL = 8;
const CALLS = 0;
const ANSWERED = 1;
const SECONDS = 2;
const COST = 3;
const BARRED = 4;
const REFUSED = 5;
const NUMBERS_DONE = 6;

export interface ColumnFigures {
  /** Calls allowed (or sent on) in this class. */
  calls: number;
  answered: number;
  seconds: number;
  cost: number;
  barred: number;
}

export interface RowFigures {
  /** Every call, refused ones included. */
  calls: number;
  pinPrompts: number;
  pinFailures: number;
  pinLockouts: number;
}

export class CallerTally {
  private cells = new Float64Array(0);
  private rowCap = 0;
  private columnCap = 16;
  private rows = 0;

  get rowCount(): number {
    return this.rows;
  }

  private get stride(): number {
    return HEAD + this.columnCap * CELL;
  }

  /** A new row, all zero. */
  addRow(): number {
    if (this.rows === this.rowCap) this.resize(Math.max(64, this.rowCap * 2), this.columnCap);
    return this.rows++;
  }

  /** Makes room for column `column` (numbered by the caller from 0). */
  ensureColumn(column: number): void {
    if (column >= this.columnCap) this.resize(this.rowCap, Math.max(column + 1, this.columnCap * 2));
  }

  /** Adds to one of the row's PIN figures. */
  count(row: number, what: number, n = 1): void {
    this.cells[row * this.stride + what]! += n;
  }

  call(row: number, column: number, answered: boolean, seconds: number, cost: number): void {
    const k = row * this.stride + HEAD + column * CELL;
    const cells = this.cells;
    cells[k + CALLS]!++;
    if (answered) cells[k + ANSWERED]!++;
    cells[k + SECONDS]! += seconds;
    cells[k + COST]! += cost;
  }

  /** A call refused for a reason other than a bar (a number that does not exist, a locked phone). */
  refused(row: number, column: number): void {
    this.cells[row * this.stride + HEAD + column * CELL + REFUSED]!++;
  }

  /** Counts a barred attempt; true while the numbers tried are still wanted (see `numbersKept`). */
  barred(row: number, column: number): boolean {
    const k = row * this.stride + HEAD + column * CELL;
    this.cells[k + BARRED]!++;
    return this.cells[k + NUMBERS_DONE] === 0;
  }

  /** No more numbers tried are wanted for this row and column (until `clear`). */
  numbersKept(row: number, column: number): void {
    this.cells[row * this.stride + HEAD + column * CELL + NUMBERS_DONE] = 1;
  }

  row(row: number): RowFigures {
    const at = row * this.stride;
    const c = this.cells;
    let calls = 0;
    for (let k = at + HEAD; k < at + this.stride; k += CELL) calls += c[k + CALLS]! + c[k + BARRED]! + c[k + REFUSED]!;
    return { calls, pinPrompts: c[at + PIN_PROMPTS]!, pinFailures: c[at + PIN_FAILURES]!, pinLockouts: c[at + PIN_LOCKOUTS]! };
  }

  /** Each column of the row with allowed calls or barred attempts: its index and figures. */
  *columns(row: number): Generator<[number, ColumnFigures]> {
    const c = this.cells;
    for (let column = 0; column < this.columnCap; column++) {
      const k = row * this.stride + HEAD + column * CELL;
      if (c[k + CALLS]! > 0 || c[k + BARRED]! > 0) {
        yield [column, { calls: c[k + CALLS]!, answered: c[k + ANSWERED]!, seconds: c[k + SECONDS]!, cost: c[k + COST]!, barred: c[k + BARRED]! }];
      }
    }
  }

  /** Every figure back to zero; rows stay numbered as they were. */
  clear(): void {
    this.cells.fill(0);
  }

  private resize(rowCap: number, columnCap: number): void {
    const stride = HEAD + columnCap * CELL;
    const cells = new Float64Array(rowCap * stride);
    const old = this.stride;
    for (let r = 0; r < this.rows; r++) cells.set(this.cells.subarray(r * old, (r + 1) * old), r * stride);
    this.cells = cells;
    this.rowCap = rowCap;
    this.columnCap = columnCap;
  }
}

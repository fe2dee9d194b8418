/**
 * The report's running figures per caller, in two Float64Arrays. Every record adds to one cell of four
 * numbers (a half cache line) in `usage`: per caller (a row) and class (a column), its calls, answered
 * calls, seconds and cost. The rarer figures are in `others`: per row its PIN prompts, failures and
 * lockouts, then per column its barred attempts, other refused calls, and whether the numbers tried are
 * all kept. Rather than a map and objects scattered over the heap: at ten million records those cache
 * misses were most of the report's time, and the smaller the cell a record touches, the fewer there are.
 */
export const PIN_PROMPTS = 0;
export const PIN_FAILURES = 1;
export const PIN_LOCKOUTS = 2;
const HEAD = 4;
const CELL = 4;
const CALLS = 0;
const ANSWERED = 1;
const SECONDS = 2;
const COST = 3;
const BARRED = 0;
const REFUSED = 1;
const NUMBERS_DONE = 2;

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
  private usage = new Float64Array(0);
  private others = new Float64Array(0);
  private rowCap = 0;
  private columnCap = 16;
  private rows = 0;

  get rowCount(): number {
    return this.rows;
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
    this.others[row * (HEAD + this.columnCap * CELL) + what]! += n;
  }

  call(row: number, column: number, answered: boolean, seconds: number, cost: number): void {
    const k = (row * this.columnCap + column) * CELL;
    const usage = this.usage;
    usage[k + CALLS]!++;
    if (answered) usage[k + ANSWERED]!++;
    usage[k + SECONDS]! += seconds;
    usage[k + COST]! += cost;
  }

  /** Where the row's column is in `others`. */
  private other(row: number, column: number): number {
    return row * (HEAD + this.columnCap * CELL) + HEAD + column * CELL;
  }

  /** A call refused for a reason other than a bar (a number that does not exist, a locked phone). */
  refused(row: number, column: number): void {
    this.others[this.other(row, column) + REFUSED]!++;
  }

  /** Counts a barred attempt; true while the numbers tried are still wanted (see `numbersKept`). */
  barred(row: number, column: number): boolean {
    const k = this.other(row, column);
    this.others[k + BARRED]!++;
    return this.others[k + NUMBERS_DONE] === 0;
  }

  /** No more numbers tried are wanted for this row and column (until `clear`). */
  numbersKept(row: number, column: number): void {
    this.others[this.other(row, column) + NUMBERS_DONE] = 1;
  }

  row(row: number): RowFigures {
    const o = this.others;
    const at = this.other(row, 0) - HEAD;
    let calls = 0;
    for (let column = 0; column < this.columnCap; column++) {
      const k = this.other(row, column);
      calls += this.usage[(row * this.columnCap + column) * CELL + CALLS]! + o[k + BARRED]! + o[k + REFUSED]!;
    }
    return { calls, pinPrompts: o[at + PIN_PROMPTS]!, pinFailures: o[at + PIN_FAILURES]!, pinLockouts: o[at + PIN_LOCKOUTS]! };
  }

  /** Each column of the row with allowed calls or barred attempts: its index and figures. */
  *columns(row: number): Generator<[number, ColumnFigures]> {
    const u = this.usage;
    for (let column = 0; column < this.columnCap; column++) {
      const k = (row * this.columnCap + column) * CELL;
      const barred = this.others[this.other(row, column) + BARRED]!;
      if (u[k + CALLS]! > 0 || barred > 0) {
        yield [column, { calls: u[k + CALLS]!, answered: u[k + ANSWERED]!, seconds: u[k + SECONDS]!, cost: u[k + COST]!, barred }];
      }
    }
  }

  /** Every figure back to zero; rows stay numbered as they were. */
  clear(): void {
    this.usage.fill(0);
    this.others.fill(0);
  }

  private resize(rowCap: number, columnCap: number): void {
    const usage = new Float64Array(rowCap * columnCap * CELL);
    const others = new Float64Array(rowCap * (HEAD + columnCap * CELL));
    const oldOthers = HEAD + this.columnCap * CELL;
    for (let r = 0; r < this.rows; r++) {
      usage.set(this.usage.subarray(r * this.columnCap * CELL, (r + 1) * this.columnCap * CELL), r * columnCap * CELL);
      others.set(this.others.subarray(r * oldOthers, (r + 1) * oldOthers), r * (HEAD + columnCap * CELL));
    }
    this.usage = usage;
    this.others = others;
    this.rowCap = rowCap;
    this.columnCap = columnCap;
  }
}

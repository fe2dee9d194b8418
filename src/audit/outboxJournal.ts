import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What a journal file held: its complete lines, and whether its last line was cut short (no newline
 * at the end: the process died in the middle of a write). The cut line is left out.
 */
export async function readJournal(path: string): Promise<{ lines: string[]; torn: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], torn: false };
    throw error;
  }
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  return { lines: lines.filter((line) => line !== ''), torn: last !== '' };
}

/**
 * An append-only JSON-lines file, fsync'd after every batch of lines, written in the background in
 * order (callers never wait on the disk). Now and then it is compacted: replaced at once (a new file,
 * fsync'd, renamed over the old one, the directory fsync'd) by the lines `current()` returns, which
 * describe everything appended so far; with no lines left, the file is removed.
 */
export class JournalFile {
  private handle: FileHandle | undefined;
  private queued: string[] = [];
  private compactNext = false;
  private writing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    private readonly current: () => string[],
    private readonly onError: (error: Error) => void,
  ) {}

  append(line: string): void {
    this.queued.push(line);
    this.writing ??= this.write();
  }

  compact(): void {
    this.compactNext = true;
    this.writing ??= this.write();
  }

  /** Resolves when everything asked for so far is on disk (or has failed and been reported). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    await this.flushed();
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  private async write(): Promise<void> {
    while (this.compactNext || this.queued.length > 0) {
      const lines = this.queued;
      const compacting = this.compactNext;
      this.queued = [];
      this.compactNext = false;
      try {
        // A compaction writes the whole present state, so it covers the lines queued before it.
        if (compacting) await this.replace(this.current());
        else await this.appendLines(lines);
      } catch (error) {
        this.onError(error as Error);
        await this.handle?.close().catch(() => {});
        this.handle = undefined;
        // What this write lost is still in `current()`: the next write rewrites the file from it.
        this.compactNext = true;
        break;
      }
    }
    this.writing = undefined;
  }

  private async appendLines(lines: string[]): Promise<void> {
    if (!this.handle) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
      this.handle = await open(this.path, 'a', 0o640);
    }
    await this.handle.write(`${lines.join('\n')}\n`);
    await this.handle.datasync();
  }

  private async replace(lines: string[]): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    if (lines.length === 0) {
      await rm(this.path, { force: true });
    } else {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
      const next = `${this.path}.next`;
      const file = await open(next, 'w', 0o640);
      try {
        await file.write(`${lines.join('\n')}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(next, this.path);
    }
    await syncDirectory(dirname(this.path));
  }
}

/** Makes a rename or removal in `dir` durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

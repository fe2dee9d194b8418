import { once } from 'node:events';
import type { Writable } from 'node:stream';

const CHUNK = 64 * 1024;

/** Batches many small lines into large writes and waits when the pipe is full, so a million rows stream steadily. */
export class OutputBuffer {
  private pending: string[] = [];
  private size = 0;

  constructor(private readonly stream: Writable) {}

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const ok = this.stream.write(this.pending.join(''));
    this.pending = [];
    this.size = 0;
    if (!ok) await once(this.stream, 'drain');
  }
}

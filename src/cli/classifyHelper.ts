import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { startWorker } from '../workerThread.js';
import type { ClassCounts } from './classifyRows.js';
import type { HelperData, HelperReply } from './classifyThread.js';

/** Blocks a helper may hold at once: one it works on and one waiting, so it never idles between them. */
const HELD = 2;

/** A block of lines and, once whoever classifies it is done, its rows (and, for the summary, its class counts). */
export interface Slot {
  text: string;
  rows: Uint8Array | undefined;
  counts?: ClassCounts | undefined;
}

/**
 * A second thread classifying some of the blocks of a long input, so classify uses two cores. It takes
 * a block only when it is ready and holds fewer than HELD; the caller classifies the rest itself and
 * writes every block's rows in input order. The thread answers blocks in the order it gets them; a
 * block the caller has meanwhile classified itself keeps the caller's rows.
 */
export class ClassifyHelper {
  private readonly worker: Worker;
  private ready = false;
  private stopping = false;
  private given = 0;
  private kept = 0;
  private readonly held: Slot[] = [];
  private failure: Error | undefined;
  /** Woken by every answer (or failure), for a caller waiting for the thread to start. */
  private wake: (() => void) | undefined;

  /**
   * Blocks go to the thread and answers come back on a port of their own, which the caller reads
   * whenever it looks for answers (receiveMessageOnPort): reading a fast pipe, the caller runs block
   * after block within one turn of the event loop (libuv reads up to 32 times a turn), and would see
   * answers delivered as events only a second later.
   */
  private readonly port: MessagePort;

  constructor(data: HelperData) {
    this.worker = startWorker(new URL('./classifyThread.js', import.meta.url), data);
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage(port2, [port2]);
    this.port = port1;
    this.port.on('message', (reply: HelperReply) => this.take(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fail(new Error(`the classify helper thread stopped (exit code ${code})`));
    });
  }

  /** Resolves once the thread can take blocks; rejects if it failed to start. */
  async started(): Promise<void> {
    while (!this.ready) {
      if (!this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.failure) throw this.failure;
    }
  }

  /** Blocks handed to the thread so far, and those it has not answered yet. */
  get taken(): number {
    return this.given;
  }

  get holding(): number {
    return this.held.length;
  }

  /** Blocks whose rows were the thread's (not classified meanwhile by the caller). */
  get answered(): number {
    return this.kept;
  }

  /** True when the thread can take a block now. */
  get free(): boolean {
    this.poll();
    return this.ready && this.failure === undefined && this.held.length < HELD;
  }

  /** Takes the answers that have arrived, filling their slots. */
  poll(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.take(m.message as HelperReply);
  }

  /** Hands the thread a block; its rows arrive in `slot`. */
  classify(slot: Slot): void {
    this.held.push(slot);
    this.given++;
    this.port.postMessage(slot.text);
  }

  /** Stops the thread; throws if it failed on the way, since blocks it held may have been lost with it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.port.close();
    await this.worker.terminate();
    if (this.failure) throw this.failure;
  }

  private take(reply: HelperReply): void {
    if ('ready' in reply) this.ready = true;
    else {
      const slot = this.held.shift()!;
      if (slot.rows === undefined) {
        Object.assign(slot, reply);
        this.kept++;
      }
    }
    this.woken();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.woken();
  }

  private woken(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

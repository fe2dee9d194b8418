import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Numbering } from '../numbering/classifier.js';
import type { NumberingSpec, SiteContext } from '../numbering/spec.js';
import type { Format } from './classify.js';
import { Rows, type ClassCounts } from './classifyRows.js';

/** What the helper thread is started with: the tables as written, the site, the output format. */
export interface HelperData {
  spec: NumberingSpec;
  site: SiteContext;
  format: Format;
}

/** Rows of a block (a string of whole lines) and, for the summary, its class counts. */
export type HelperReply = { ready: true } | { rows: Uint8Array; counts: ClassCounts | undefined };

/**
 * The helper thread of `callguard classify` (classifyHelper.ts): builds the classifier from the tables
 * it is sent, then answers each block with its rows, in the order the blocks came.
 */
const { spec, site, format } = workerData as HelperData;
const rows = new Rows(new Numbering(spec).classifierFor(site), format);
const reply = (port: MessagePort, message: HelperReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

// The first message is the port to answer on; blocks come on it too.
parentPort!.once('message', (port: MessagePort) => {
  port.on('message', (block: string) => {
    // A copy with a memory of its own, handed over rather than copied again (the rows' buffer holds other blocks' rows too).
    const written = rows.block(block);
    const bytes = new Uint8Array(written);
    rows.release(written);
    reply(port, { rows: bytes, counts: format === 'summary' ? rows.takeCounts() : undefined }, bytes.byteLength > 0 ? [bytes.buffer] : []);
  });
  reply(port, { ready: true });
});

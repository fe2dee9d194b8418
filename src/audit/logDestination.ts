import { pino, type DestinationStream } from 'pino';
import { LineBytes } from './lineBytes.js';

/** Where `callguard serve` logs: stdout, buffered, written asynchronously. */
export interface LogDestination {
  stream: DestinationStream;
  /** Starts writing what is buffered. */
  flush(): void;
  /** Writes what is buffered before the process exits. */
  flushSync(): void;
}

/**
 * stdout through sonic-boom, written `minLength` bytes at a time rather than with a write(2) a line (a
 * decision line a call; 32 KiB is about 70 lines, and `callguard serve` flushes every 250 ms). Lines
 * wait as bytes in a slab (LineBytes) and reach sonic-boom a slab at a time, in its buffer mode: in
 * its string mode each write measured the UTF-8 length of the whole string buffered so far, and one
 * Buffer a line kept thousands of small objects alive across young-generation collections.
 */
export function logDestination(fd = 1, minLength = 32768): LogDestination {
  const boom = pino.destination({ dest: fd, sync: false, minLength, maxWrite: 8 * minLength, contentMode: 'buffer' });
  // In buffer mode sonic-boom takes Buffers; its typings only know strings.
  const writeBuffer = boom.write.bind(boom) as unknown as (data: Buffer) => boolean;
  const waiting = new LineBytes(minLength);
  // Bytes handed to sonic-boom and not yet written: a flush with none would write(2) nothing, four
  // times a second on an idle instance, through the thread pool.
  let unwritten = 0;
  boom.on('write', (n: number) => (unwritten -= n));
  const handOver = () => {
    for (const run of waiting.take()) {
      unwritten += run.bytes.length;
      writeBuffer(run.bytes);
    }
  };
  return {
    stream: {
      write: (line: string) => {
        waiting.append(line);
        if (waiting.bytes >= minLength) handOver();
      },
    },
    flush: () => {
      handOver();
      if (unwritten > 0) boom.flush();
    },
    flushSync: () => {
      handOver();
      boom.flushSync();
    },
  };
}

import { pino, type DestinationStream } from 'pino';

/** Where `callguard serve` logs: stdout, buffered, written asynchronously. */
export interface LogDestination {
  stream: DestinationStream;
  /** Starts writing what is buffered. */
  flush(): void;
  /** Writes what is buffered before the process exits. */
  flushSync(): void;
}

/**
 * stdout through sonic-boom, written at least `minLength` bytes at a time rather than with a write(2) a
 * line (a decision line a call; 32 KiB is about 70 lines, and `callguard serve` flushes every 250 ms). sonic-boom runs in buffer mode: in its string mode each write measures
 * the UTF-8 length of the whole string buffered so far, which flattened and rescanned kilobytes a line
 * (the largest part of the decision log's cost under load, and most of the garbage it made).
 */
export function logDestination(fd = 1, minLength = 32768): LogDestination {
  const boom = pino.destination({ dest: fd, sync: false, minLength, maxWrite: 8 * minLength, contentMode: 'buffer' });
  // In buffer mode sonic-boom takes Buffers; its typings only know strings.
  const writeBuffer = boom.write.bind(boom) as unknown as (data: Buffer) => boolean;
  return {
    stream: { write: (line: string) => writeBuffer(Buffer.from(line)) },
    flush: () => boom.flush(),
    flushSync: () => boom.flushSync(),
  };
}

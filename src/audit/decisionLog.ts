import { pino, type DestinationStream, type Logger } from 'pino';
import type { Call } from '../policy/decide.js';
import type { Decision } from '../policy/decision.js';
import { decisionRecord, type DecisionContext, type DecisionRecord } from './decisionRecord.js';
import { NEVER_LOGGED_OPTIONS, withoutSecrets } from './neverLogged.js';

export function decisionLogger(destination?: DestinationStream): Logger {
  // Belt and braces: should a PIN field ever be attached to a log call, it is dropped.
  const options = { name: 'callguard-decisions', ...NEVER_LOGGED_OPTIONS };
  return destination ? pino(options, destination) : pino(options);
}

/** Logs one decision; emergency calls at warn so they stand out in the monthly review. */
export function logDecision(logger: Logger, call: Call, decision: Decision, now: number, context: DecisionContext = {}): void {
  const level = decision.action === 'emergency' ? 'warn' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const record = decisionRecord(call, decision, now, context);
  const msg = level === 'warn' ? 'emergency call' : 'decision';
  const direct = directWriter(logger);
  if (direct) direct(level, record, msg);
  else logger[level](record, msg);
}

/** The decision line's fields, in the order pino writes them (the record's own order). */
const FIELDS = ['at', 'from', 'to', 'class', 'e164', 'country', 'action', 'reason', 'rule', 'where', 'sipStatus', 'notice', 'callId', 'decisionMicros'] as const satisfies readonly (keyof DecisionRecord)[];

type DirectWriter = (level: 'info' | 'warn', record: DecisionRecord, msg: string) => void;

const { lsCacheSym, timeSym, chindingsSym, streamSym, endSym, mixinSym, needsMetadataGsym, hooksSym, messageKeySym, nestedKeySym, formattersSym, stringifiersSym, serializersSym } = pino.symbols;
const writers = new WeakMap<Logger, DirectWriter | null>();

/**
 * The decision line written straight to the logger's stream, byte for byte what pino would write
 * (its own level prefix, time, bindings and ending): pino's general path (formatters, serializers,
 * a key loop over any object) was a third to a half of the line's cost. The record is built
 * field by field, so no secret can be on it and `withoutSecrets` has nothing to drop. Used only with a
 * plain logger (no mixin, hook, redaction, message prefix, other log formatter or serializer of these
 * fields, and a stream that does not ask for metadata as a multistream does); otherwise pino writes it.
 */
function directWriter(logger: Logger): DirectWriter | undefined {
  let writer = writers.get(logger);
  if (writer === undefined) {
    const internals = logger as unknown as Record<symbol, unknown>;
    const stream = internals[streamSym] as DestinationStream & Record<symbol, unknown>;
    const hooks = internals[hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
    const formatLog = (internals[formattersSym] as { log?: unknown } | undefined)?.log;
    const serializers = internals[serializersSym] as Record<string, unknown>;
    const plain =
      !internals[mixinSym] &&
      !hooks?.logMethod &&
      !hooks?.streamWrite &&
      (!formatLog || formatLog === withoutSecrets) &&
      Reflect.ownKeys(internals[stringifiersSym] as object).length === 0 &&
      !FIELDS.some((key) => serializers[key]) &&
      (logger as { msgPrefix?: string }).msgPrefix === undefined &&
      internals[messageKeySym] === 'msg' &&
      internals[nestedKeySym] === null &&
      stream[needsMetadataGsym] !== true;
    writer = plain ? lineWriter(logger, internals, stream) : null;
    writers.set(logger, writer);
  }
  return writer ?? undefined;
}

function lineWriter(logger: Logger, internals: Record<symbol, unknown>, stream: DestinationStream): DirectWriter {
  const prefix = internals[lsCacheSym] as Record<number, string>;
  const time = internals[timeSym] as () => string;
  const end = internals[endSym] as string;
  const levels = logger.levels.values;
  return (level, record, msg) => {
    // The bindings are read each time: pino's setBindings may change them.
    let line = prefix[levels[level]!]! + time() + (internals[chindingsSym] as string);
    for (const key of FIELDS) {
      const value = record[key];
      if (value !== undefined) line += `,"${key}":${typeof value === 'number' ? value : JSON.stringify(value)}`;
    }
    stream.write(`${line},"msg":${JSON.stringify(msg)}${end}`);
  };
}

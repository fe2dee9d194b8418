import { pino, type DestinationStream, type Logger } from 'pino';
import type { Call } from '../policy/decide.js';
import type { Decision } from '../policy/decision.js';
import { decisionRecord, type DecisionContext } from './decisionRecord.js';
import { NEVER_LOGGED_OPTIONS } from './neverLogged.js';

export function decisionLogger(destination?: DestinationStream): Logger {
  // Belt and braces: should a PIN field ever be attached to a log call, it is dropped.
  const options = { name: 'callguard-decisions', ...NEVER_LOGGED_OPTIONS };
  return destination ? pino(options, destination) : pino(options);
}

/** Logs one decision; emergency calls at warn so they stand out in the monthly review. */
export function logDecision(logger: Logger, call: Call, decision: Decision, now: number, context: DecisionContext = {}): void {
  const record = decisionRecord(call, decision, now, context);
  if (decision.action === 'emergency') logger.warn(record, 'emergency call');
  else logger.info(record, 'decision');
}

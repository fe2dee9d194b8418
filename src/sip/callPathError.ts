import type { EdgeServices } from './context.js';

/** Where on a call's path something failed: the `where` label of callguard_call_path_errors_total. */
export type CallPathStep =
  | 'relock'
  | 'media-endpoint'
  | 'media-bridge'
  | 'media-release'
  | 'ringback'
  | 'info-digits'
  | 'prompt'
  | 'notice'
  | 'pin-check'
  | 'pin-change'
  | 'recording-directory'
  | 'recording-sidecar'
  | 'recording-mode'
  | 'recording-stereo'
  | 'recording-start'
  | 'call-handling'
  | 'emergency-location'
  | 'emergency-alert';

/**
 * A failure on a call's path, whether the call goes on without the thing that failed or not: logged at
 * error with its cause and counted, so that none passes unseen.
 */
export function callPathError(services: Pick<EdgeServices, 'logger' | 'metrics'>, where: CallPathStep, error: unknown, message: string, fields: Record<string, unknown> = {}): void {
  services.metrics.callPathErrors.inc({ where });
  services.logger.error({ ...fields, where, err: error instanceof Error ? error.message : String(error) }, message);
}

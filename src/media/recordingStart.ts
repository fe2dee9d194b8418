import { callPathError } from '../sip/callPathError.js';
import type { MediaRecording } from './connectThroughMedia.js';
import type { BeginRecording } from './flows/recordedCall.js';
import { prepareRecording, RecordingModeError, writeSidecar } from './recordings.js';

/**
 * Where a recorded call's WAV goes (`<directory>/<yyyy>/<mm>/<dd>/<ext>-<time>-<call-id>.wav`, dirs
 * 0750) and its sidecar (who, when, direction, the notice heard), written when recording starts so a
 * crash leaves no orphan WAV, and again with the duration when the call ends. A recording directory
 * that cannot be written leaves the call connected and unrecorded, flagged in the log.
 */
export const beginRecording: BeginRecording = async (ctx, meta): Promise<MediaRecording | undefined> => {
  const { site } = ctx.plan;
  const { services } = ctx;
  const logFailure = (path: string) => (error: Error) =>
    error instanceof RecordingModeError
      ? callPathError(services, 'recording-mode', error, "recording left with the media server's file mode, not 0640: check its user and umask", { callId: meta.callId, recording: path })
      : callPathError(services, 'recording-sidecar', error, 'recording sidecar could not be written', { callId: meta.callId, recording: path });
  let path: string;
  try {
    path = await prepareRecording({ directory: site.recording.directory, ext: meta.ext, at: meta.at, callId: meta.callId, timezone: site.timezone });
  } catch (error) {
    callPathError(services, 'recording-directory', error, 'recording directory cannot be written: the call goes on unrecorded', { callId: meta.callId, directory: site.recording.directory, recordingUnavailable: true });
    return undefined;
  }
  const started = writeSidecar(path, meta).catch(logFailure(path));
  return {
    path,
    finished(durationSeconds) {
      // after the first write, or a short call's start could land last and lose the duration
      void started.then(() => writeSidecar(path, { ...meta, durationSeconds })).catch(logFailure(path));
    },
  };
};

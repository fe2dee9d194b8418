import type { MediaRecording } from './connectThroughMedia.js';
import type { BeginRecording } from './flows/recordedCall.js';
import { prepareRecording, writeSidecar } from './recordings.js';

/**
 * Where a recorded call's WAV goes (`<directory>/<yyyy>/<mm>/<dd>/<ext>-<time>-<call-id>.wav`, dirs
 * 0750) and, when the call ends, its sidecar: who, when, direction, the notice heard, the duration.
 */
export const beginRecording: BeginRecording = (ctx, meta): MediaRecording => {
  const { site } = ctx.plan;
  const path = prepareRecording({ directory: site.recording.directory, ext: meta.ext, at: meta.at, callId: meta.callId, timezone: site.timezone });
  return {
    path,
    finished(durationSeconds) {
      writeSidecar(path, { ...meta, durationSeconds }).catch((error: Error) =>
        ctx.services.logger.error({ callId: meta.callId, recording: path, err: error.message }, 'recording sidecar could not be written'),
      );
    },
  };
};

/**
 * bench:media's baseline arm: FreeSWITCH alone doing what callguard has it do on a recorded call, from
 * its own XML dialplan: 183 with the notice (pre_answer, playback of the same file), then a stereo
 * recording (RECORD_STEREO, record_session) of the call bridged to the same SIPp PBX. The caller's
 * INVITE goes straight to FreeSWITCH's SIP port; no drachtio-server, no app, no event socket.
 *
 * The dialplan is written at run time into the bench's copy of freeswitch-conf/ (as the `drachtio`
 * context the shipped SIP profile routes to), so the shipped configuration never carries it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFreeswitch, type Freeswitch, type FreeswitchOptions, type MediaLabPaths } from '../test/support/freeswitch.js';

export interface BaselineCall {
  /** The Request-URI user the caller dials. */
  dialled: string;
  /** Absolute path of the notice WAV. */
  notice: string;
  /** Where the PBX (a SIPp UAS) listens on 127.0.0.1. */
  pbxPort: number;
}

/** The baseline's dialplan: one extension, the recorded call as FreeSWITCH alone would do it. */
export function baselineDialplan({ dialled, notice, pbxPort }: BaselineCall, recordingsDir: string): string {
  return `<context name="drachtio">
  <extension name="recorded-call-alone">
    <condition field="destination_number" expression="^${dialled}$">
      <action application="pre_answer"/>
      <action application="playback" data="${notice}"/>
      <action application="set" data="RECORD_STEREO=true"/>
      <action application="record_session" data="${recordingsDir}/\${uuid}.wav"/>
      <action application="bridge" data="sofia/drachtio_mrf/sip:${dialled}@127.0.0.1:${pbxPort}"/>
    </condition>
  </extension>
</context>
`;
}

/** A FreeSWITCH on the shipped configuration except its dialplan, which is the baseline's. */
export async function startBaselineFreeswitch(lab: MediaLabPaths, call: BaselineCall, options: Omit<FreeswitchOptions, 'editConf'>): Promise<Freeswitch> {
  // `$${recordings_dir}`: FreeSWITCH's own recordings directory (in its state directory), filled in when it reads the dialplan.
  return startFreeswitch(lab, {
    ...options,
    editConf: (confDir) => writeFileSync(join(confDir, 'dialplan', 'drachtio.xml'), baselineDialplan(call, '$${recordings_dir}')),
  });
}

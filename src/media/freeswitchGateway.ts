import type Mrf from 'drachtio-fsmrf';
import type { CallContext, DecisionOf } from '../sip/context.js';
import { featureCall } from './flows/featureCall.js';
import { pinCall } from './flows/pinCall.js';
import { recordedCall, type BeginRecording } from './flows/recordedCall.js';
import { spokenReject } from './flows/spokenReject.js';
import type { MediaGateway } from './gateway.js';

/** Where the media server comes from: the live ESL connection, or a stand-in in tests. */
export interface MediaServerSource {
  /** Undefined while FreeSWITCH is unreachable. */
  readonly mediaServer: Mrf.MediaServer | undefined;
  readonly address: string;
}

/** The media seam on FreeSWITCH through drachtio-fsmrf. */
export class FreeswitchGateway implements MediaGateway {
  constructor(
    private readonly connection: MediaServerSource,
    private readonly beginRecording: BeginRecording,
  ) {}

  get available(): boolean {
    return this.connection.mediaServer !== undefined;
  }

  get description(): string {
    return `FreeSWITCH at ${this.connection.address}`;
  }

  recordedCall(ctx: CallContext<DecisionOf<'allow'>>, notice: string): Promise<void> {
    return recordedCall(ctx, this.server(), this.beginRecording, notice);
  }

  pinCall(ctx: CallContext<DecisionOf<'pin-required'>>): Promise<void> {
    return pinCall(ctx, this.server(), this.beginRecording);
  }

  feature(ctx: CallContext<DecisionOf<'feature'>>): Promise<void> {
    return featureCall(ctx, this.server());
  }

  async announceReject(ctx: CallContext<DecisionOf<'reject'>>): Promise<boolean> {
    const prompt = ctx.plan.rejectPrompts.get(ctx.decision.reason);
    const audio = prompt === undefined ? undefined : ctx.plan.prompts.get(prompt)?.audio;
    if (audio === undefined) return false;
    await spokenReject(ctx, this.server(), audio);
    return true;
  }

  private server(): Mrf.MediaServer {
    const server = this.connection.mediaServer;
    if (!server) throw new Error('FreeSWITCH became unreachable');
    return server;
  }
}

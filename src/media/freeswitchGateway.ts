import type { CallContext, DecisionOf } from '../sip/context.js';
import { featureCall } from './flows/featureCall.js';
import { pinCall } from './flows/pinCall.js';
import { recordedCall, type BeginRecording } from './flows/recordedCall.js';
import { spokenReject } from './flows/spokenReject.js';
import type { MediaGateway } from './gateway.js';
import type { CallMediaServer, MediaPool, MediaServerStatus } from './mediaPool.js';

/** The media seam on FreeSWITCH through drachtio-fsmrf: each call on a server of the pool. */
export class FreeswitchGateway implements MediaGateway {
  constructor(
    private readonly pool: MediaPool,
    private readonly beginRecording: BeginRecording,
  ) {}

  get available(): boolean {
    return this.pool.available;
  }

  get description(): string {
    return this.pool.description;
  }

  get servers(): MediaServerStatus[] {
    return this.pool.servers;
  }

  recordedCall(ctx: CallContext<DecisionOf<'allow'>>, notice: string): Promise<void> {
    return recordedCall(ctx, this.pool.forCall(ctx), this.beginRecording, notice);
  }

  pinCall(ctx: CallContext<DecisionOf<'pin-required'>>): Promise<void> {
    return pinCall(ctx, this.pool.forCall(ctx), this.beginRecording);
  }

  feature(ctx: CallContext<DecisionOf<'feature'>>): Promise<void> {
    return featureCall(ctx, this.pool.forCall(ctx));
  }

  serverFor(ctx: CallContext): CallMediaServer {
    return this.pool.forCall(ctx);
  }

  async announceReject(ctx: CallContext<DecisionOf<'reject'>>): Promise<boolean> {
    const prompt = ctx.plan.rejectPrompts.get(ctx.decision.reason);
    const audio = prompt === undefined ? undefined : ctx.plan.prompts.get(prompt)?.audio;
    if (audio === undefined) return false;
    await spokenReject(ctx, this.pool.forCall(ctx), audio);
    return true;
  }
}

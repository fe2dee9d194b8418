import type Srf from 'drachtio-srf';
import { logDecision } from '../audit/decisionLog.js';
import { decide } from '../policy/decide.js';
import { callbackDecision } from '../policy/psapCallback.js';
import type { Decision } from '../policy/decision.js';
import type { PhoneState } from '../policy/phoneState.js';
import type { Plan } from '../policy/plan.js';
import { CallRegistry } from './callRegistry.js';
import { callPathError } from './callPathError.js';
import { callSetup, type CallSetup } from './callSetup.js';
import { callerState, countCall } from './callerState.js';
import { carryOut } from './carryOut.js';
import type { EdgeServices } from './context.js';
import { routeEmergencyAnyway } from './emergencyFallback.js';
import { unfoldCopiedHeaders } from './foldedHeaders.js';
import { refuseLoops } from './maxForwards.js';
import { heldCallback } from './psapCallback.js';
import { replacesOnLeg } from './replaces.js';
import { CallSession } from './session.js';

// drachtio-srf's own typing of the middleware continuation.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Next = Function;

/** What the pipeline has learnt about an INVITE so far. */
interface Reading {
  received: bigint;
  plan: Plan;
  setup: CallSetup;
  decision: Decision;
  /** When it was decided (epoch ms), the caller's lock and the usage the toll-fraud limits met: for the call record. */
  at: number;
  lock: PhoneState['lock'];
  usage: PhoneState['usage'];
}

/**
 * The reading rides on the request from one step of the pipeline to the next, as drachtio middleware
 * (jambonz's `req.locals`) does: a WeakMap entry a call cost an ephemeron in every garbage collection.
 */
type ReadRequest = Srf.SrfRequest & { reading?: Reading };

/**
 * The SIP edge: each INVITE runs through a short pipeline (read the call, decide, drain gate) and its
 * decision is carried out by `carryOut`. Returns the registry of calls in progress, for the drain.
 */
export function attachEdge(services: EdgeServices): CallRegistry {
  const { srf, logger, metrics } = services;
  const calls = new CallRegistry();

  const readCall = (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next) => {
    const received = process.hrtime.bigint();
    const plan = services.plan();
    const result = callSetup(plan, req, services.trusted);
    if (!result.ok) {
      logger.info({ callId: req.get('call-id'), status: result.status, problem: result.problem }, 'malformed INVITE refused');
      metrics.sipRefusals.inc({ status: result.status });
      res.send(result.status);
      return;
    }
    if (result.setup.serviceUrn) logger.info({ callId: req.get('call-id'), serviceUrn: result.setup.serviceUrn, dialled: result.setup.call.to }, "emergency service URN in the Request-URI: placed as the site's emergency number");
    if (result.setup.callerUnreadable) logger.warn({ callId: req.get('call-id'), from: req.get('from'), problem: result.setup.callerUnreadable }, 'emergency call from a caller that cannot be read: routed with the site callback and address');
    const now = services.now();
    const phone = callerState(services, plan, result.setup.call.from, now);
    const policy = decide(plan, phone, result.setup.call, now);
    // The emergency service calling back a number held for a phone goes to that phone, whatever the
    // policy says of the number; an emergency call is decided before this is even looked at.
    const held = policy.action === 'emergency' ? undefined : heldCallback(services, plan, req.uri, result.setup, now);
    const setup = held ? { ...result.setup, call: { from: result.setup.call.from, to: held.ext }, inbound: true } : result.setup;
    const { call } = setup;
    const decision = held ? callbackDecision(plan, held) : policy;
    const decidedIn = Number(process.hrtime.bigint() - received) / 1e9;
    metrics.decisionSeconds.observe(decidedIn);
    metrics.decisions.inc({ action: decision.action, class: decision.class, reason: decision.reason });
    logDecision(logger, call, decision, now, { callId: req.get('call-id'), decisionMicros: Math.round(decidedIn * 1e6) });
    (req as ReadRequest).reading = { received, plan, setup, decision, at: now, lock: phone.lock, usage: phone.usage };
    next();
  };

  // Emergency calls pass even while draining: nothing may block them.
  const drainGate = (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next) => {
    if (services.draining() && (req as ReadRequest).reading?.decision.action !== 'emergency') {
      res.send(503, { headers: { 'Retry-After': '30', Reason: 'Q.850;cause=41;text="draining"' } });
      return;
    }
    next();
  };

  srf.use(
    guarded(services, (req, res, next) => {
      unfoldCopiedHeaders(req, res);
      next();
    }),
  );
  // INFO digits in an early dialog reach no drachtio-srf dialog yet: hand them to their call.
  srf.use('info', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const session = calls.find(req.get('call-id') ?? '');
    if (session) session.receiveInfo(req, res);
    else res.send(481);
  });
  // drachtio-srf registers a handler per SIP method; its typings miss `options`.
  (srf as unknown as { options(handler: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void }).options((_req, res) => answerOptions(res, services.draining()));
  srf.use('invite', guarded(services, refuseLoops));
  srf.use('invite', guarded(services, readCall));
  srf.use('invite', guarded(services, drainGate));
  srf.invite(guarded(services, (req, res) => {
    const { reading } = req as ReadRequest;
    if (!reading) return;
    const { plan, decision, at, lock, usage } = reading;
    // Read only for a call that is placed: a barred call looks for no Replaces.
    const replaces = decision.action === 'allow' ? replacesOnLeg(calls, req) : undefined;
    const setup = replaces === undefined ? reading.setup : { ...reading.setup, replaces };
    const record = services.callRecords?.begin({ callId: req.get('call-id') ?? '', call: setup.call, decision, plan, lock, usage, at });
    const session = new CallSession(srf, req, res, {
      finalResponse: (_s, status) => {
        metrics.finalResponseSeconds.observe({ status: `${Math.floor(status / 100)}xx` }, Number(process.hrtime.bigint() - reading.received) / 1e9);
        record?.finalResponse(status, services.now());
      },
      ended: (s, disposition) => {
        calls.remove(s);
        metrics.callsInProgress.dec();
        record?.ended(disposition, services.now());
      },
    // The emergency action drops it: the emergency service, not a lapsed timer, decides when a 999 ends.
    }, services.trusted, services.sessionTimerSeconds);
    calls.add(session, {
      from: setup.call.from,
      user: plan.extensions.get(setup.call.from)?.user,
      to: setup.call.to,
      action: decision.action,
      class: decision.class,
      reason: decision.reason,
      started: new Date(at).toISOString(),
    });
    metrics.callsInProgress.inc();
    countCall(services, plan, session, setup.call.from, setup.call.to, decision, at);
    carryOut({ session, setup, decision, plan, services }).catch((error: Error) => {
      const direct = session.wanted && routeEmergencyAnyway(services, req, res, error);
      if (direct) return session.handOver(direct);
      callPathError(services, 'call-handling', error, 'call handling failed', { callId: session.callId, stack: error.stack });
      session.respond(500, {}, 'failed');
    });
  }));
  return calls;
}

/**
 * A bug in one request's handling answers that request with 500; it never reaches the process. An
 * emergency call is routed to the emergency trunk all the same.
 */
function guarded(services: EdgeServices, step: (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next) => void) {
  return (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next = () => {}) => {
    try {
      step(req, res, next);
    } catch (error) {
      if (routeEmergencyAnyway(services, req, res, error)) return;
      callPathError(services, 'call-handling', error, 'INVITE handling failed', { callId: req.get('call-id'), stack: (error as Error)?.stack });
      if (!res.finalResponseSent) res.send(500);
    }
  };
}

/** What callguard tells a prober (an SBC, a trunk, Kamailio's dispatcher): up, or not taking calls. */
function answerOptions(res: Srf.SrfResponse, draining: boolean): void {
  const headers = { Allow: ALLOWED_METHODS, Accept: 'application/sdp', Supported: 'timer' };
  if (draining) res.send(503, { headers: { ...headers, 'Retry-After': '30' } });
  else res.send(200, { headers });
}

const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, UPDATE';

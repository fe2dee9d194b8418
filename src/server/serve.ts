import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildInfo } from '../buildInfo.js';
import { sipMessageChannel, redisStreamChannel, webhookChannel, type SendSipMessage } from '../audit/alertChannels.js';
import { AlertDispatcher, type AlertChannel } from '../audit/alertDispatcher.js';
import { phonePinAlert } from '../audit/phonePinAlert.js';
import { AlertOutbox } from '../audit/alertOutbox.js';
import { emailChannel } from '../audit/emailChannel.js';
import { PlanWatcher } from '../dialplan/watch.js';
import { createAdmin } from '../http/admin.js';
import type { JoinRequestOutcome } from '../http/api.js';
import { JoinFeed } from '../http/joinFeed.js';
import { HttpError } from '../http/respond.js';
import { FraudAlerts } from '../limits/fraudAlerts.js';
import { SharedUsage } from '../limits/sharedUsage.js';
import { UsageLedger } from '../limits/usageLedger.js';
import { Metrics } from '../audit/metrics.js';
import { startHttp } from '../http/server.js';
import { connectThroughMrf, FreeswitchConnection } from '../media/freeswitchConnection.js';
import { FreeswitchGateway } from '../media/freeswitchGateway.js';
import { NO_MEDIA_SERVER, type MediaGateway } from '../media/gateway.js';
import { MediaPool } from '../media/mediaPool.js';
import type { JoinMode } from '../media/securityJoin.js';
import { SecurityJoins } from '../media/securityJoins.js';
import { SecurityJoinRelay } from './securityJoinRelay.js';
import { beginRecording } from '../media/recordingStart.js';
import { CallRecorder, RecordingAlertDispatcher } from '../oversight/callRecords.js';
import { startRetentionTimer } from '../media/recordings.js';
import type { Plan } from '../policy/plan.js';
import { attachEdge } from '../sip/edge.js';
import { securityUri } from '../sip/routing.js';
import { RedisConnection } from '../state/redisConnection.js';
import { openLiveCalls } from '../state/liveCalls.js';
import type { CallRegistry } from '../sip/callRegistry.js';
import { openState } from '../state/index.js';
import { DrachtioConnection } from './drachtioConnection.js';
import type { ServeSettings } from './settings.js';
import { tuneHeapForServing } from './servingHeap.js';
import { startCallOut } from './callOutParts.js';

export interface RunningServer {
  http: Server;
  /** SIGTERM: refuse new calls (503) except emergencies, let calls finish, then close everything. */
  drain(): Promise<void>;
  /** Counts a rejection nothing handled (`callguard_unhandled_rejections_total`). */
  countUnhandledRejection(): void;
}

/** `callguard serve`: the plan, the runtime state, the SIP edge, Security alerts and HTTP, wired together. */
export interface ServerParts {
  /** A media gateway to use instead of the one FREESWITCH_HOSTS would give (tests: a FreeSWITCH stand-in). */
  media?: MediaGateway;
  /** The clock calls are decided and counted by (tests: a fixed or out-of-hours time). */
  now?: () => number;
  /** Where call records and the alert outbox live, instead of CALLGUARD_DATA_DIR (tests: a directory of each server's own). */
  dataDir?: string;
}

export async function startServer(settings: ServeSettings, dialplanDir: string, logger: Logger, parts: ServerParts = {}): Promise<RunningServer> {
  tuneHeapForServing();
  const metrics = new Metrics();
  let loadedAt = new Date();
  let version = 1;
  const watcher = await PlanWatcher.start(dialplanDir, {
    onReload(plan: Plan) {
      state.usePlan(plan);
      version++;
      loadedAt = new Date();
      metrics.planReloads.inc({ outcome: 'applied' });
      logger.info({ version, extensions: plan.extensions.size }, 'dialplan reloaded');
    },
    onRejected(problems) {
      metrics.planReloads.inc({ outcome: 'refused' });
      logger.error({ problems: problems.map((p) => `${p.where}: ${p.message}`) }, 'dialplan edit refused: the last good plan stays in force');
    },
  });
  const plan = () => watcher.current;
  const state = await openState({ plan: plan(), redis: settings.redis, logger });

  const drachtio = new DrachtioConnection(settings.drachtio, logger, {
    changed: (up) => metrics.drachtioConnected.set(up ? 1 : 0),
    // Said once calls can come in, with what the calls will find then.
    firstConnected: (sip) =>
      logger.info(
        {
          version: buildInfo().version,
          drachtio: `${settings.drachtio.host}:${settings.drachtio.port}`,
          sip,
          http: `${settings.http.host}:${settings.http.port}`,
          state: { store: state.backend.description, reachable: state.backend.reachable },
          media: { server: media.description, connected: media.available },
          alerts: channels.map((c) => c.name),
          dialplan: dialplanDir,
          extensions: watcher.current.extensions.size,
        },
        'callguard serving',
      ),
  });
  // The state store logs Redis outages once; the stream channel counts its own failures.
  const alertRedis = settings.redis && RedisConnection.open(settings.redis);

  const sendMessage: SendSipMessage = (uri, headers, body) => drachtio.request(uri, 'MESSAGE', headers, body);
  const securityPhones = () => {
    const now = plan();
    const { target, failover } = now.site.securityControl;
    return [target, ...failover].map((each) => securityUri(now, each));
  };
  const channels: AlertChannel[] = [sipMessageChannel(securityPhones, sendMessage, logger)];
  if (alertRedis) channels.push(redisStreamChannel(alertRedis));
  if (settings.alertWebhook) channels.push(webhookChannel(settings.alertWebhook));
  const email = settings.email && emailChannel(settings.email, () => plan().site.security.email, logger);
  if (email) channels.push(email);
  // The web admin's live calls: this instance's call registry (made below), shared with the others through Redis.
  let registry: CallRegistry | undefined;
  const liveCalls = openLiveCalls(settings.redis, { calls: () => registry?.calls() ?? [], end: (callId) => registry?.end(callId) ?? false }, logger);
  // Security joined to emergency calls (site.security.joinEmergency, or asked from the console); with
  // Redis, join states reach every instance's console and a request reaches the instance holding the call.
  const joinFeed = new JoinFeed();
  const joinRelay = settings.redis && new SecurityJoinRelay(settings.redis, { state: (s) => joinFeed.update(s), request: (r) => securityJoins.request(r.callId, r.by, r.mode) }, logger);
  const securityJoins = new SecurityJoins((state) => {
    joinFeed.update(state);
    void joinRelay?.publish(state);
  });
  const requestJoin = async (callId: string, by: string, mode: JoinMode | undefined): Promise<JoinRequestOutcome | undefined> => {
    const state = securityJoins.request(callId, by, mode);
    if (state) return { state };
    if (!joinRelay) return undefined;
    const asked = await joinRelay.request({ callId, by, mode }).catch((error: Error) => {
      throw new HttpError(503, `the call is not on this instance and the others cannot be asked (Redis): ${error.message}`);
    });
    return asked ? { forwarded: true } : undefined;
  };
  const admin = settings.admin
    ? createAdmin({ settings: settings.admin, redis: settings.redis, dialplanDir, plan, state, reload: () => watcher.reload(), logger, liveCalls, dataDir: parts.dataDir, joins: { joins: joinFeed, requestJoin } })
    : undefined;
  if (admin?.channel) channels.push(admin.channel);
  const dataDir = parts.dataDir ?? (process.env.CALLGUARD_DATA_DIR || 'data');
  // Call records (src/oversight): one JSON line per call in CALLGUARD_DATA_DIR, written in the background.
  const callRecords = new CallRecorder({ dataDir, timezone: () => plan().site.timezone, logger });
  // Alerts a channel could not take wait on disk (and across restarts) until it is back, then go out marked late.
  const outbox = await AlertOutbox.open({
    dir: join(dataDir, 'alert-outbox'),
    channels,
    logger,
    outcomes: { count: (channel, outcome) => metrics.alerts.inc({ channel, outcome }), size: (channel, waiting) => metrics.alertOutbox.set({ channel }, waiting) },
  });
  const alerts = new RecordingAlertDispatcher(
    callRecords,
    channels,
    logger,
    {
      sent: (channel) => metrics.alerts.inc({ channel, outcome: 'sent' }),
      failed: (channel) => metrics.alerts.inc({ channel, outcome: 'failed' }),
    },
    outbox,
  );
  state.on('alert', (lockout) => {
    alerts.send(phonePinAlert(plan(), lockout.ext, lockout.at, `PIN entry suspended until ${new Date(lockout.until).toISOString()}`, { location: lockout.location }));
  });

  // The media pool: one event-socket connection per FreeSWITCH, each call on the least busy one.
  const freeswitch = (settings.freeswitch ?? []).map((server) => new FreeswitchConnection(connectThroughMrf(drachtio.srf), server, logger));
  const media: MediaGateway = parts.media ?? (freeswitch.length > 0 ? new FreeswitchGateway(new MediaPool(freeswitch), beginRecording) : NO_MEDIA_SERVER);
  metrics.readMediaServers(() => media.servers);
  // Responders phoned on every emergency call, beside the alert and never awaited by the call.
  const callOut = await startCallOut({ srf: drachtio.srf, plan, freeswitch, audioDir: settings.callOutAudioDir ?? join(dataDir, 'call-out'), alerts, metrics, logger });
  const retention = startRetentionTimer(plan, logger);

  // Toll-fraud limits: calls abroad counted here, shared with the other instances through Redis.
  const now = parts.now ?? Date.now;
  const usage = new UsageLedger(() => plan().site.timezone);
  const sharedUsage = settings.redis && new SharedUsage(settings.redis, usage, logger, now);
  sharedUsage?.start();

  let draining = false;
  const calls = attachEdge({
    srf: drachtio.srf,
    plan,
    state,
    alerts,
    media,
    logger,
    metrics,
    trusted: settings.trustedSources,
    sessionTimerSeconds: settings.sessionExpiresSeconds || undefined,
    draining: () => draining,
    now,
    callRecords,
    usage,
    securityJoins,
    fraudAlerts: new FraudAlerts(alerts, sharedUsage && ((key) => sharedUsage.claim(key))),
  });
  registry = calls;
  /** Everything opened above, closed; drachtio-server and FreeSWITCH may never have been connected. */
  const close = async () => {
    watcher.close();
    retention.stop();
    for (const server of freeswitch) server.close();
    await admin?.close();
    await liveCalls.close();
    drachtio.disconnect();
    await callRecords.close();
    await callOut.close();
    await alerts.close();
    email?.close();
    await Promise.allSettled([state.backend.close(), alertRedis?.close(), sharedUsage?.stop(), joinRelay?.close()]);
  };

  // HTTP before drachtio-server: an instance without /health and the console must never take a call.
  let http: Server;
  try {
    http = await startHttp(settings.http.host, settings.http.port, {
      metrics,
      admin: admin?.api,
      health: () => ({
        ok: drachtio.connected && !draining,
        version: buildInfo().version,
        draining,
        drachtio: { connected: drachtio.connected, address: `${settings.drachtio.host}:${settings.drachtio.port}` },
        redis: settings.redis ? { configured: true, reachable: state.backend.reachable } : { configured: false },
        media: { configured: media.servers.length > 0, available: media.available, description: media.description, servers: media.servers },
        plan: { version, loadedAt: loadedAt.toISOString(), extensions: watcher.current.extensions.size },
        callsInProgress: calls.size,
      }),
    });
  } catch (error) {
    await close();
    throw new Error(`HTTP cannot listen on ${settings.http.host}:${settings.http.port} (CALLGUARD_HTTP_HOST, CALLGUARD_HTTP_PORT): ${(error as Error).message}`);
  }
  // FreeSWITCH first: connected by the time drachtio-server is, as a rule, for the first calls and the serving line.
  for (const server of freeswitch) server.start();
  drachtio.connect();

  return {
    http,
    countUnhandledRejection: () => metrics.unhandledRejections.inc(),
    async drain() {
      if (draining) return;
      draining = true;
      logger.info({ calls: calls.size, seconds: settings.drainSeconds }, 'draining: new calls get 503, emergency calls still connect');
      const clean = await calls.whenEmpty(settings.drainSeconds * 1000);
      if (!clean) {
        logger.warn({ calls: calls.size }, 'drain time is up: ending the calls still in progress');
        calls.hangUpAll();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      http.close();
      await close();
      logger.info('drained; exiting');
    },
  };
}



import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from '../buildInfo.js';

/** One media server as the gauges show it (the media pool's view of its members). */
export interface MediaServerGaugeReading {
  address: string;
  connected: boolean;
  calls: number;
}

/** Everything `/metrics` exposes; the SIP edge, the media side and the plan watcher count into it. */
export class Metrics {
  readonly registry = new Registry();
  readonly decisions = new Counter({ name: 'callguard_decisions_total', help: 'Decisions by action, destination class and reason', labelNames: ['action', 'class', 'reason'] as const, registers: [this.registry] });
  readonly decisionSeconds = new Histogram({
    name: 'callguard_decision_seconds',
    help: 'Time to read the INVITE and decide (classify + policy)',
    buckets: [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3],
    registers: [this.registry],
  });
  readonly finalResponseSeconds = new Histogram({
    name: 'callguard_invite_final_response_seconds',
    help: 'INVITE received to final response sent to the caller, by status class',
    labelNames: ['status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1, 5, 15, 30, 60],
    registers: [this.registry],
  });
  readonly callsInProgress = new Gauge({ name: 'callguard_calls_in_progress', help: 'Calls being set up or connected', registers: [this.registry] });
  readonly alerts = new Counter({ name: 'callguard_security_alerts_total', help: 'Security alerts by channel and outcome', labelNames: ['channel', 'outcome'] as const, registers: [this.registry] });
  readonly callOutCalls = new Counter({
    name: 'callguard_callout_calls_total',
    help: 'Call-out calls to responders (site.security.callOut), one per responder and emergency, by how the last attempt ended: acknowledged, hung-up, unacknowledged, unanswered, failed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly alertOutbox = new Gauge({ name: 'callguard_alert_outbox_alerts', help: 'Security alerts kept on disk for a channel that could not take them, waiting to be delivered late', labelNames: ['channel'] as const, registers: [this.registry] });
  readonly planReloads = new Counter({ name: 'callguard_plan_reloads_total', help: 'Dialplan reloads by outcome (applied, refused)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly emergencyFallbacks = new Counter({ name: 'callguard_emergency_fallbacks_total', help: 'Emergency calls routed directly to the emergency trunk after their call handling failed', registers: [this.registry] });
  readonly sipRefusals = new Counter({ name: 'callguard_sip_refusals_total', help: 'Requests refused before any decision, by status (malformed, too many hops)', labelNames: ['status'] as const, registers: [this.registry] });
  readonly callPathErrors = new Counter({ name: 'callguard_call_path_errors_total', help: "Failures on a call's path, each also logged, by where", labelNames: ['where'] as const, registers: [this.registry] });
  readonly unhandledRejections = new Counter({ name: 'callguard_unhandled_rejections_total', help: 'Rejections nothing handled, each logged with its stack: a bug, survived rather than ending every call', registers: [this.registry] });
  readonly drachtioConnected = new Gauge({ name: 'callguard_drachtio_connected', help: '1 while connected to drachtio-server', registers: [this.registry] });
  /** The media pool as it is at each scrape (set once the pool exists). */
  private mediaServers: () => readonly MediaServerGaugeReading[] = () => [];
  readonly mediaServerConnected = this.mediaServerGauge('callguard_media_server_connected', '1 while the event socket to this FreeSWITCH is up', (s) => (s.connected ? 1 : 0));
  readonly mediaServerCalls = this.mediaServerGauge('callguard_media_server_calls', 'Calls in progress on this FreeSWITCH', (s) => s.calls);

  readonly buildInfo = new Gauge({ name: 'callguard_build_info', help: 'Always 1; the version label says which callguard is running', labelNames: ['version'] as const, registers: [this.registry] });

  constructor() {
    // Event-loop lag sampled every 100 ms rather than prom-client's 10: its timer woke an idle process
    // 100 times a second, most of what callguard cost a machine with no calls.
    collectDefaultMetrics({ register: this.registry, prefix: 'callguard_', eventLoopMonitoringPrecision: 100 });
    this.buildInfo.set({ version: buildInfo().version }, 1);
  }

  /** A gauge by media server, read from the pool at each scrape. */
  private mediaServerGauge(name: string, help: string, value: (server: MediaServerGaugeReading) => number): Gauge<'server'> {
    const gauge: Gauge<'server'> = new Gauge({
      name,
      help,
      labelNames: ['server'] as const,
      registers: [this.registry],
      collect: () => {
        for (const s of this.mediaServers()) gauge.set({ server: s.address }, value(s));
      },
    });
    return gauge;
  }

  /** Where the media server gauges read the pool from. */
  readMediaServers(read: () => readonly MediaServerGaugeReading[]): void {
    this.mediaServers = read;
  }
}

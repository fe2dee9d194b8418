import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { AuditLog, readAudit } from '../admin/auditLog.js';
import { BadBody, grantBody, listEntryBody, merged, pinBody } from '../admin/bodies.js';
import { EditRefused, type EditOp, type EditResult, type PlanEditor, type Resource, type Section } from '../admin/planEditor.js';
import { dataDir, type Caller, type Role, type TokenVerifier } from '../admin/tokens.js';
import { decisionRecord } from '../audit/decisionRecord.js';
import { parseAdminDate } from '../dialplan/dates.js';
import { decide, type Call } from '../policy/decide.js';
import { readAccessLog, requestAccess, type AccessEntry } from '../media/recordingAccess.js';
import { callsCsv, searchCalls, type CallQuery } from '../oversight/callSearch.js';
import { parallelReport } from '../oversight/parallelScan.js';
import { monthFiles } from '../oversight/recordScan.js';
import { explain } from '../policy/explain.js';
import type { Plan } from '../policy/plan.js';
import { weakPin, weakPinMessage } from '../state/pinRules.js';
import { StateRefused, StateUnavailable, type RuntimeState } from '../state/index.js';
import type { LiveCall, LiveCallBoard } from '../state/liveCalls.js';
import type { JoinMode, JoinState } from '../media/securityJoin.js';
import type { Acknowledgement, AlertFeed, FeedItem } from './alertFeed.js';
import { Authenticator, type RateLimit } from './auth.js';
import type { JoinFeed } from './joinFeed.js';
import { HttpError, json, readJson } from './respond.js';

export interface AdminDeps {
  tokens: TokenVerifier;
  audit: AuditLog;
  editor: PlanEditor;
  plan(): Plan;
  state: RuntimeState;
  feed: AlertFeed;
  /** Security's part in each emergency call, shown on its card. */
  joins?: JoinFeed | undefined;
  /**
   * An officer asks to be called into a live emergency call: `state` when the call is on this instance,
   * `forwarded` when it was handed to the other instances (through Redis), undefined when no instance has it.
   */
  requestJoin?: ((callId: string, by: string, mode: JoinMode | undefined) => Promise<JoinRequestOutcome | undefined>) | undefined;
  /** Shares an acknowledgement with the other instances (the Redis ack stream); absent without Redis. */
  publishAck?: ((id: string, ack: Acknowledgement) => Promise<void>) | undefined;
  logger: Logger;
  rateLimit?: RateLimit | undefined;
  now?: () => number;
  /** SSE keep-alive comment interval; the console treats a silent feed as disconnected. */
  heartbeatMs?: number;
  /** Where the recordings access log and the call records live (default: CALLGUARD_DATA_DIR, else ./data). */
  dataDir?: string;
  /** Every instance's calls in progress (the web admin's live calls); absent: that part answers 404. */
  liveCalls?: LiveCallBoard | undefined;
}

export type JoinRequestOutcome = { state: JoinState } | { forwarded: true };

interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  caller: Caller;
  address: string;
  params: string[];
  dryRun: boolean;
}

type Handler = (ctx: Context) => Promise<void>;

interface Route {
  method: string;
  path: RegExp;
  roles: readonly Role[];
  handler: Handler;
}

const ALL: readonly Role[] = ['admin', 'security', 'auditor', 'recordings'];
const READ: readonly Role[] = ['admin', 'auditor'];
const ADMIN: readonly Role[] = ['admin'];
const CONSOLE: readonly Role[] = ['admin', 'security'];

const EXT = /^[0-9*#+]{1,20}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Decisions the web admin never ends: an emergency call, and a hotline call to Security Control. */
const SAFETY_ACTIONS = new Set(['emergency', 'security']);
/** Audit actions that change a phone's lock, for its "last change". */
const PHONE_ACTIONS = new Set(['phone.lock', 'phone.unlock', 'pin.reset']);

/** The JSON admin API and the console's feed, behind bearer-token authentication with roles. */
export class AdminApi {
  private readonly auth: Authenticator;
  private readonly routes: Route[];
  private readonly streams = new Set<ServerResponse>();
  private readonly now: () => number;

  constructor(private readonly deps: AdminDeps) {
    this.now = deps.now ?? Date.now;
    this.auth = new Authenticator(deps.tokens, deps.rateLimit, this.now);
    const r = (method: string, path: RegExp, roles: readonly Role[], handler: Handler): Route => ({ method, path, roles, handler });
    this.routes = [
      r('GET', /^\/api\/whoami$/, ALL, async (c) => json(c.res, 200, c.caller)),
      r('GET', /^\/api\/lists$/, READ, (c) => this.list(c, 'lists')),
      r('GET', /^\/api\/lists\/([^/]+)$/, READ, (c) => this.one(c, 'lists')),
      r('POST', /^\/api\/lists\/(allow|deny)$/, ADMIN, (c) => this.add(c, 'lists', c.params[0] as Section)),
      r('PUT', /^\/api\/lists\/((?:allow|deny)-\d+)$/, ADMIN, (c) => this.change(c, 'lists', false)),
      r('PATCH', /^\/api\/lists\/((?:allow|deny)-\d+)$/, ADMIN, (c) => this.change(c, 'lists', true)),
      r('DELETE', /^\/api\/lists\/((?:allow|deny)-\d+)$/, ADMIN, (c) => this.remove(c, 'lists')),
      r('GET', /^\/api\/grants$/, READ, (c) => this.list(c, 'grants')),
      r('POST', /^\/api\/grants$/, ADMIN, (c) => this.add(c, 'grants', 'grants')),
      r('GET', /^\/api\/grants\/([^/]+)$/, READ, (c) => this.one(c, 'grants')),
      r('PUT', /^\/api\/grants\/([^/]+)$/, ADMIN, (c) => this.change(c, 'grants', false)),
      r('PATCH', /^\/api\/grants\/([^/]+)$/, ADMIN, (c) => this.change(c, 'grants', true)),
      r('DELETE', /^\/api\/grants\/([^/]+)$/, ADMIN, (c) => this.remove(c, 'grants')),
      r('POST', /^\/api\/runtime-grants$/, ADMIN, (c) => this.runtimeGrantAdd(c)),
      r('DELETE', /^\/api\/runtime-grants\/([^/]+)$/, ADMIN, (c) => this.runtimeGrantRevoke(c)),
      r('GET', /^\/api\/phones$/, READ, (c) => this.phones(c)),
      r('GET', /^\/api\/phones\/([^/]+)$/, READ, (c) => this.phoneStatus(c)),
      r('POST', /^\/api\/phones\/([^/]+)\/lock$/, ADMIN, (c) => this.phoneLock(c)),
      r('POST', /^\/api\/phones\/([^/]+)\/unlock$/, ADMIN, (c) => this.phoneUnlock(c)),
      r('PUT', /^\/api\/phones\/([^/]+)\/pin$/, ADMIN, (c) => this.pinReset(c)),
      r('POST', /^\/api\/phones\/([^/]+)\/pin$/, ADMIN, (c) => this.pinReset(c)),
      r('GET', /^\/api\/check$/, READ, (c) => this.check(c)),
      r('GET', /^\/api\/audit$/, READ, (c) => this.auditLog(c)),
      r('GET', /^\/api\/calls$/, READ, (c) => this.calls(c, 'json')),
      r('GET', /^\/api\/calls\.csv$/, READ, (c) => this.calls(c, 'csv')),
      r('GET', /^\/api\/report$/, READ, (c) => this.report(c)),
      r('GET', /^\/api\/live-calls$/, READ, (c) => this.liveCalls(c)),
      r('POST', /^\/api\/live-calls\/([^/]+)\/end$/, ADMIN, (c) => this.endCall(c)),
      r('GET', /^\/api\/alerts$/, ALL, async (c) => json(c.res, 200, { ...this.deps.feed.status, alerts: this.deps.feed.snapshot(), joins: this.deps.joins?.snapshot() ?? [] })),
      r('GET', /^\/api\/alerts\/stream$/, CONSOLE, (c) => this.stream(c)),
      r('POST', /^\/api\/alerts\/([^/]+)\/ack$/, CONSOLE, (c) => this.ack(c)),
      r('POST', /^\/api\/calls\/([^/]+)\/security-join$/, CONSOLE, (c) => this.securityJoin(c)),
      r('GET', /^\/api\/recordings\/access-log$/, READ, async (c) => json(c.res, 200, { entries: await readAccessLog(this.dataDir) })),
      r('GET', /^\/api\/recordings\/([^/]+)$/, ALL, (c) => this.recording(c, 'get')),
      r('POST', /^\/api\/recordings\/([^/]+)\/hold$/, ALL, (c) => this.recording(c, 'hold')),
      r('DELETE', /^\/api\/recordings\/([^/]+)\/hold$/, ALL, (c) => this.recording(c, 'release')),
    ];
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const matching = this.routes.filter((route) => route.path.test(url.pathname));
    if (matching.length === 0) return json(res, 404, { error: 'not found' });
    const route = matching.find((m) => m.method === req.method);
    if (!route) return json(res, 405, { error: 'method not allowed' }, { allow: matching.map((m) => m.method).join(', ') });
    const outcome = await this.auth.check(req, route.roles);
    if (!outcome.ok) {
      req.resume();
      if (outcome.status === 401) return json(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
      if (outcome.status === 403) return json(res, 403, { error: 'forbidden' });
      return json(res, 429, { error: 'too many failed attempts' }, { 'retry-after': String(outcome.retryAfter ?? 60) });
    }
    const ctx: Context = {
      req,
      res,
      url,
      caller: outcome.caller,
      address: req.socket.remoteAddress ?? 'unknown',
      params: [],
      dryRun: url.searchParams.get('dryRun') === 'true' || url.searchParams.get('dryRun') === '1',
    };
    try {
      ctx.params = (route.path.exec(url.pathname) ?? []).slice(1).map((p) => {
        try {
          return decodeURIComponent(p);
        } catch {
          throw new HttpError(400, 'bad path');
        }
      });
      await route.handler(ctx);
    } catch (error) {
      this.fail(ctx, error);
    }
  }

  private fail(ctx: Context, error: unknown): void {
    const { res } = ctx;
    if (error instanceof HttpError) return json(res, error.status, { error: error.message, ...error.extra });
    if (error instanceof BadBody) return json(res, 400, { error: error.message });
    if (error instanceof EditRefused) {
      const headers: Record<string, string> = error.version ? { etag: error.version } : {};
      return json(res, error.status, { error: error.message, ...(error.problems ? { problems: error.problems } : {}), ...(error.version ? { version: error.version } : {}) }, headers);
    }
    if (error instanceof StateRefused) return json(res, 400, { error: error.message });
    if (error instanceof StateUnavailable) return json(res, 503, { error: error.message }, { 'retry-after': '5' });
    this.deps.logger.error({ err: (error as Error)?.message, path: ctx.url.pathname, method: ctx.req.method }, 'admin API request failed');
    json(res, 500, { error: 'internal error' });
  }

  private record(ctx: Context, action: string, target: string, before?: unknown, after?: unknown): Promise<void> {
    this.deps.logger.info({ who: ctx.caller.name, action, target, address: ctx.address }, 'admin change');
    return this.deps.audit.append({ who: ctx.caller.name, role: ctx.caller.role, address: ctx.address, action, target, before, after });
  }

  // --- lists and grants -------------------------------------------------------------------------

  private async list(ctx: Context, resource: Resource): Promise<void> {
    const { version, entries } = await this.deps.editor.list(resource);
    const body =
      resource === 'lists'
        ? { version, allow: entries.filter((e) => e.section === 'allow'), deny: entries.filter((e) => e.section === 'deny') }
        : {
            version,
            grants: entries,
            runtime: this.deps.state.grants().map(runtimeGrantJson),
          };
    json(ctx.res, 200, body, { etag: version });
  }

  private async one(ctx: Context, resource: Resource): Promise<void> {
    const { version, entries } = await this.deps.editor.list(resource);
    const found = entries.find((e) => e.id === ctx.params[0]);
    if (!found) throw new HttpError(404, `no entry ${ctx.params[0]}`);
    json(ctx.res, 200, { ...found, version }, { etag: version });
  }

  private shape(resource: Resource, body: unknown): Record<string, unknown> {
    return resource === 'lists' ? listEntryBody(body) : grantBody(body);
  }

  private async applyEdit(ctx: Context, resource: Resource, op: EditOp, status: number): Promise<void> {
    const result: EditResult = await this.deps.editor.edit(resource, op, ctx.req.headers['if-match'], ctx.dryRun);
    if (!result.dryRun) {
      const action = `${resource === 'lists' ? 'list' : 'grant'}.${op.op}`;
      await this.record(ctx, action, result.id, result.before, result.after);
    }
    json(ctx.res, result.dryRun ? 200 : status, result, { etag: result.version });
  }

  private async add(ctx: Context, resource: Resource, section: Section): Promise<void> {
    const entry = this.shape(resource, await readJson(ctx.req));
    await this.applyEdit(ctx, resource, { op: 'add', section, entry }, 201);
  }

  private async change(ctx: Context, resource: Resource, patch: boolean): Promise<void> {
    const body = await readJson(ctx.req);
    const id = ctx.params[0]!;
    let raw = body;
    if (patch) {
      const { entries } = await this.deps.editor.list(resource);
      const current = entries.find((e) => e.id === id);
      if (!current) throw new HttpError(404, `no entry ${id}`);
      raw = merged(current.entry, body);
    }
    await this.applyEdit(ctx, resource, { op: 'change', id, entry: this.shape(resource, raw) }, 200);
  }

  private async remove(ctx: Context, resource: Resource): Promise<void> {
    ctx.req.resume();
    await this.applyEdit(ctx, resource, { op: 'remove', id: ctx.params[0]! }, 200);
  }

  /** A run-time grant (Redis or memory, not the dialplan files): same body as a dialplan grant, without an id. */
  private async runtimeGrantAdd(ctx: Context): Promise<void> {
    const body = grantBody(await readJson(ctx.req));
    if (body.id !== undefined) throw new HttpError(400, 'a run-time grant gets its id when it is issued');
    const when = (name: 'from' | 'until') => {
      if (body[name] === undefined) return undefined;
      const ms = parseAdminDate(body[name] as string, name);
      if (ms === undefined) throw new HttpError(400, `${name} is not a date`);
      return ms;
    };
    const grant = await this.deps.state.addGrant({
      user: body.user as string,
      worldwide: body.worldwide === true,
      countries: (body.countries as string[] | undefined) ?? [],
      prefixes: (body.prefixes as string[] | undefined) ?? [],
      from: when('from'),
      until: when('until'),
      reason: body.reason as string,
      approver: body.approver as string,
    });
    const shown = runtimeGrantJson(grant);
    await this.record(ctx, 'runtime-grant.add', grant.id, undefined, shown);
    json(ctx.res, 201, shown);
  }

  private async runtimeGrantRevoke(ctx: Context): Promise<void> {
    ctx.req.resume();
    const id = ctx.params[0]!;
    const before = this.deps.state.grants().find((g) => g.id === id);
    await this.deps.state.revokeGrant(id);
    await this.record(ctx, 'runtime-grant.revoke', id, before && runtimeGrantJson(before), undefined);
    json(ctx.res, 200, { id, revoked: true });
  }

  // --- phones ---------------------------------------------------------------------------------------

  /** Every extension with its lock (filtered by `q`: part of the extension, name or user), and the last admin change to it. */
  private async phones(ctx: Context): Promise<void> {
    const q = (ctx.url.searchParams.get('q') ?? '').trim().toLowerCase();
    const now = this.now();
    const plan = this.deps.plan();
    const changes = new Map<string, { at: string; who: string; action: string }>();
    for (const r of await readAudit(this.deps.audit.path)) if (PHONE_ACTIONS.has(r.action)) changes.set(r.target, { at: r.at, who: r.who, action: r.action });
    const phones = [];
    for (const e of plan.extensions.values()) {
      if (q && ![e.ext, e.name, e.user ?? ''].some((v) => v.toLowerCase().includes(q))) continue;
      const status = this.deps.state.status(e.ext, now);
      const unlockedSince = this.deps.state.replica.phone(e.ext)?.unlockedSince;
      phones.push({
        name: e.name,
        user: e.user,
        department: e.department,
        location: e.location,
        ...status,
        relocksAt: iso(status.relocksAt),
        lockoutUntil: iso(status.lockoutUntil),
        unlockedSince: status.lock === 'unlocked' ? iso(unlockedSince) : undefined,
        lastChange: changes.get(e.ext),
      });
    }
    const limit = 1000;
    json(ctx.res, 200, { phones: phones.slice(0, limit), more: Math.max(0, phones.length - limit) });
  }


  private extension(ctx: Context): string {
    const ext = ctx.params[0]!;
    if (!EXT.test(ext)) throw new HttpError(400, 'an extension is digits');
    if (!this.deps.plan().extensions.has(ext)) throw new HttpError(404, `extension ${ext} is not in the dialplan`);
    return ext;
  }

  private async phoneStatus(ctx: Context): Promise<void> {
    const status = this.deps.state.status(this.extension(ctx), this.now());
    json(ctx.res, 200, { ...status, relocksAt: iso(status.relocksAt), lockoutUntil: iso(status.lockoutUntil) });
  }

  private async phoneLock(ctx: Context): Promise<void> {
    ctx.req.resume();
    const ext = this.extension(ctx);
    const before = this.deps.state.status(ext, this.now()).lock;
    if (ctx.dryRun) return json(ctx.res, 200, { dryRun: true, ext, before, after: 'locked' });
    await this.deps.state.lock(ext);
    await this.record(ctx, 'phone.lock', ext, { lock: before }, { lock: 'locked' });
    json(ctx.res, 200, { ext, lock: 'locked' });
  }

  private async phoneUnlock(ctx: Context): Promise<void> {
    ctx.req.resume();
    const ext = this.extension(ctx);
    const before = this.deps.state.status(ext, this.now());
    if (ctx.dryRun) return json(ctx.res, 200, { dryRun: true, ext, before: before.lock, after: 'unlocked' });
    await this.deps.state.unlockByAdmin(ext, this.now());
    await this.record(ctx, 'phone.unlock', ext, { lock: before.lock, failures: before.failures, lockoutUntil: iso(before.lockoutUntil) }, { lock: 'unlocked' });
    json(ctx.res, 200, { ext, lock: 'unlocked' });
  }

  /** The new PIN is in the body only: never logged, audited or echoed. */
  private async pinReset(ctx: Context): Promise<void> {
    const ext = this.extension(ctx);
    const pin = pinBody(await readJson(ctx.req));
    if (ctx.dryRun) {
      const plan = this.deps.plan();
      const weak = weakPin(pin, plan.site.pin.length, ext, plan.extensions.get(ext)!.ddi);
      if (weak) throw new HttpError(400, `PIN refused: ${weakPinMessage(weak)}`);
      return json(ctx.res, 200, { dryRun: true, ext, pin: 'would be set; the phone would lock' });
    }
    await this.deps.state.setPin(ext, pin);
    await this.record(ctx, 'pin.reset', ext, undefined, { pin: 'set', lock: 'locked' });
    json(ctx.res, 200, { ext, pin: 'set', lock: 'locked' });
  }

  // --- check, audit ---------------------------------------------------------------------------------

  private async check(ctx: Context): Promise<void> {
    const q = ctx.url.searchParams;
    const from = q.get('from') ?? '';
    const to = q.get('to') ?? '';
    if (!from || !to || from.length > 64 || to.length > 64) throw new HttpError(400, 'give from= (the caller) and to= (the dialled string), each up to 64 characters');
    const atText = q.get('at');
    const now = atText ? Date.parse(atText) : this.now();
    if (Number.isNaN(now)) throw new HttpError(400, 'at= is not an ISO-8601 date or time');
    const lock = q.get('lock');
    if (lock !== null && lock !== 'locked' && lock !== 'unlocked') throw new HttpError(400, 'lock= is locked or unlocked');
    const plan = this.deps.plan();
    const live = this.deps.state.replica.phoneState(plan, from, now);
    const phone = lock ? { ...live, lock: lock as 'locked' | 'unlocked' } : live;
    const call: Call = { from, to };
    const decision = decide(plan, phone, call, now);
    const { at: _at, ...record } = decisionRecord(call, decision, now);
    json(ctx.res, 200, {
      ...record,
      lock: phone.lock,
      trunk: decision.action === 'emergency' ? decision.trunk : undefined,
      target: decision.action === 'security' ? decision.target : undefined,
      failover: decision.action === 'security' ? decision.failover : undefined,
      record: decision.action === 'allow' ? decision.recording !== undefined : undefined,
      explanation: explain(decision),
    });
  }

  private async auditLog(ctx: Context): Promise<void> {
    const sinceText = ctx.url.searchParams.get('since');
    let since: number | undefined;
    if (sinceText) {
      // A day that does not exist (2026-02-30) too: Date.parse would read it as another.
      since = parseAdminDate(sinceText, 'from');
      if (since === undefined) throw new HttpError(400, 'since= is not a date such as 2026-03-01');
    }
    json(ctx.res, 200, { records: await readAudit(this.deps.audit.path, since) });
  }

  // --- call records, the monthly report, live calls ------------------------------------------------

  private callQuery(ctx: Context): CallQuery {
    const q = ctx.url.searchParams;
    const text = (name: string) => {
      const v = (q.get(name) ?? '').trim();
      if (v.length > 64) throw new HttpError(400, `${name}= is longer than 64 characters`);
      return v || undefined;
    };
    const today = new Date(this.now()).toISOString().slice(0, 10);
    const from = text('from') ?? new Date(this.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    const to = text('to') ?? today;
    if (!DAY.test(from) || !DAY.test(to) || parseAdminDate(from, 'from') === undefined || parseAdminDate(to, 'from') === undefined) throw new HttpError(400, 'from= and to= are days such as 2026-03-01');
    if (to < from) throw new HttpError(400, 'to= is before from=');
    if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) throw new HttpError(400, 'search at most a year at a time');
    const limit = Number(q.get('limit') ?? 500);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new HttpError(400, 'limit= is a whole number from 1 to 100000');
    return { ext: text('ext'), number: text('number'), from, to, class: text('class'), action: text('action'), outcome: text('outcome'), limit };
  }

  private async calls(ctx: Context, format: 'json' | 'csv'): Promise<void> {
    const query = this.callQuery(ctx);
    const result = await searchCalls(this.dataDir, query);
    if (format === 'json') return json(ctx.res, 200, { query, ...result });
    ctx.res.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-disposition': `attachment; filename="calls-${query.from}-to-${query.to}.csv"`,
    });
    ctx.res.end(callsCsv(result.calls));
  }

  private async report(ctx: Context): Promise<void> {
    const month = ctx.url.searchParams.get('month') ?? '';
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new HttpError(400, 'month= is a month such as 2026-03');
    const department = ctx.url.searchParams.get('department') || undefined;
    const report = await parallelReport(this.deps.plan(), this.deps.editor.dir, monthFiles(this.dataDir, month), { month, department });
    json(ctx.res, 200, report);
  }

  private get board(): LiveCallBoard {
    if (!this.deps.liveCalls) throw new HttpError(404, 'live calls are not available on this server');
    return this.deps.liveCalls;
  }

  private async liveCalls(ctx: Context): Promise<void> {
    json(ctx.res, 200, { instance: this.board.instance, calls: await this.board.list() });
  }

  /** Ends a call wherever it runs; never an emergency or hotline call. Audited with the call's caller and number. */
  private async endCall(ctx: Context): Promise<void> {
    ctx.req.resume();
    const id = ctx.params[0]!;
    const call: LiveCall | undefined = (await this.board.list()).find((c) => c.callId === id);
    if (!call) throw new HttpError(404, `no live call ${id}`);
    if (SAFETY_ACTIONS.has(call.action)) throw new HttpError(409, `an ${call.action === 'emergency' ? 'emergency' : 'emergency-line (hotline)'} call is never ended from here`);
    if (!(await this.board.end(call))) throw new HttpError(503, `instance ${call.instance} did not take the request: try again`);
    const { callId: _id, ...shown } = call;
    await this.record(ctx, 'call.end', id, shown, { ending: true });
    json(ctx.res, 202, { callId: id, instance: call.instance, ending: true });
  }

  // --- recordings ---------------------------------------------------------------------------------

  private get dataDir(): string {
    return this.deps.dataDir ?? dataDir();
  }

  /**
   * A governed access: the WAV for a stated purpose, or a legal hold placed or released. Open to every
   * token so that a refusal (wrong role or service area) is logged like a grant; requestAccess decides.
   */
  private async recording(ctx: Context, action: AccessEntry['action']): Promise<void> {
    const body = action === 'hold' ? await readJson(ctx.req) : undefined;
    const reason = (body as { reason?: unknown } | undefined)?.reason;
    if (action === 'hold' && typeof reason !== 'string') throw new HttpError(400, 'body must be {"reason": "..."}');
    const purpose = ctx.url.searchParams.get('purpose') ?? undefined;
    const outcome = await requestAccess(this.deps.plan(), this.dataDir, { who: ctx.caller, id: ctx.params[0]!, action, purpose, reason: reason as string | undefined }, this.now());
    if (!outcome.ok) throw new HttpError(outcome.status, outcome.why);
    if (action !== 'get') return json(ctx.res, 200, { id: outcome.recording.id, recording: outcome.recording.name, held: action === 'hold' });
    ctx.res.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-disposition': `attachment; filename="${outcome.recording.id.replace(/[^A-Za-z0-9._@-]/g, '_')}.wav"` });
    await pipeline(createReadStream(outcome.recording.path), ctx.res);
  }

  // --- alerts -------------------------------------------------------------------------------------

  private async ack(ctx: Context): Promise<void> {
    ctx.req.resume();
    const id = ctx.params[0]!;
    const item = this.deps.feed.get(id);
    if (!item) throw new HttpError(404, `no alert ${id}`);
    if (item.ack) return json(ctx.res, 200, item);
    const ack: Acknowledgement = { by: ctx.caller.name, at: new Date(this.now()).toISOString() };
    this.deps.feed.applyAck(id, ack);
    await this.record(ctx, 'alert.ack', id, { kind: item.alert.kind, ext: item.alert.ext, callId: item.alert.callId }, ack);
    await this.deps.publishAck?.(id, ack).catch((error: Error) => this.deps.logger.warn({ err: error.message }, 'acknowledgement not shared with other instances'));
    json(ctx.res, 200, item);
  }

  /** Security Control's phone is rung and joined to the live emergency call `callId` (body: optional `{"mode": "listen"|"talk"}`). */
  private async securityJoin(ctx: Context): Promise<void> {
    const body = (await readJson(ctx.req)) as { mode?: unknown } | undefined;
    const mode = body?.mode;
    if (mode !== undefined && mode !== 'listen' && mode !== 'talk') throw new HttpError(400, 'mode is listen or talk');
    const callId = ctx.params[0]!;
    const outcome = await this.deps.requestJoin?.(callId, ctx.caller.name, mode);
    if (!outcome) throw new HttpError(404, `no emergency call ${callId} in progress`);
    await this.record(ctx, 'call.security-join', callId, undefined, { mode, ...outcome });
    json(ctx.res, 'state' in outcome ? 200 : 202, outcome);
  }

  private async stream(ctx: Context): Promise<void> {
    const { res, req } = ctx;
    const feed = this.deps.feed;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    const event = (name: string, data: unknown, id?: string) => res.write(`${id ? `id: ${id}\n` : ''}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    event('hello', { name: ctx.caller.name, role: ctx.caller.role });
    event('snapshot', { ...feed.status, alerts: feed.snapshot(), joins: this.deps.joins?.snapshot() ?? [] });
    const onItem = (item: FeedItem) => event('alert', item, item.id);
    const onAck = (item: FeedItem) => event('ack', item);
    const onStatus = (status: unknown) => event('status', status);
    feed.on('item', onItem);
    feed.on('ack', onAck);
    feed.on('status', onStatus);
    const onJoin = (state: JoinState) => event('join', state);
    this.deps.joins?.on('join', onJoin);
    const beat = setInterval(() => res.write(`: keep-alive ${Date.now()}\n\n`), this.deps.heartbeatMs ?? 5_000);
    this.streams.add(res);
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      req.on('close', done);
      res.on('close', done);
    });
    clearInterval(beat);
    feed.off('item', onItem);
    feed.off('ack', onAck);
    feed.off('status', onStatus);
    this.deps.joins?.off('join', onJoin);
    this.streams.delete(res);
  }

  /** Ends every open console feed (drain, tests). */
  closeStreams(): void {
    for (const res of this.streams) res.destroy();
  }
}

function runtimeGrantJson(g: ReturnType<RuntimeState['grants']>[number]) {
  return { ...g, countries: [...g.countries], from: iso(g.from), until: iso(g.until) };
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

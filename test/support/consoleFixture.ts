/**
 * The Security Control console under test: `callguard serve` in-process on the fake drachtio-server with
 * its admin API on (a token per console user), and a real headless Chromium (Debian `chromium`, driven by
 * playwright-core) to open the console in.
 *
 *   const app = await ConsoleApp.start({ users: { 'sam.patel': 'security' } });
 *   const officer = await (await app.browser.newContext()).newPage();
 *   await app.signIn(officer, app.tokens['sam.patel']!);
 *   const a = app.call('4101', '999');             // a phone's INVITE, through drachtio-server
 *   await app.stop();                              // browser, server, fake, temp files
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { addToken, type Role } from '../../src/admin/tokens.js';
import type { MediaGateway } from '../../src/media/gateway.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { FakeDrachtio, type InboundTransaction } from './fakeDrachtio.js';
import { planCopy } from './plans.js';
import * as sip from './sipText.js';

export const CHROMIUM = process.env.CALLGUARD_CHROMIUM ?? '/usr/bin/chromium';
/** How long a console test waits for the page or the app (a busy 2-core machine). */
export const CONSOLE_WAIT_MS = 15_000;
const APP_HOST = 'callguard.herts.example.ac.uk';
const PHONE_SOURCE = '192.0.2.10';

/** Whether Chromium is installed; when it is not, says in one line that `what` are skipped. */
export function chromiumOrSkip(what: string): boolean {
  const have = existsSync(CHROMIUM);
  if (!have) console.log(`${what} skipped: no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
  return have;
}

export interface ConsoleAppOptions {
  /** Console users by token name, with their role; each gets a token in `tokens`. */
  users: Record<string, Role>;
  /** The media gateway the server uses (a FreeSWITCH stand-in); none by default. */
  media?: MediaGateway;
  /** Chromium switches besides the headless ones every browser test uses. */
  chromiumArgs?: string[];
}

export class ConsoleApp {
  private constructor(
    readonly fake: FakeDrachtio,
    readonly server: RunningServer,
    readonly browser: Browser,
    /** Each user's bearer token, by name. */
    readonly tokens: Record<string, string>,
    /** The HTTP port, for a test that closes the listener and opens it again. */
    readonly port: number,
    private readonly cleanUp: () => void,
  ) {}

  static async start(opts: ConsoleAppOptions): Promise<ConsoleApp> {
    const plan = planCopy();
    const dataDir = mkdtempSync(join(tmpdir(), 'callguard-console-'));
    const cleanUp = () => {
      plan.remove();
      rmSync(dataDir, { recursive: true, force: true });
    };
    let fake: FakeDrachtio | undefined;
    let server: RunningServer | undefined;
    try {
      const tokensFile = join(dataDir, 'tokens.json');
      const tokens: Record<string, string> = {};
      // A cheap hash: the tokens are throw-away, and scrypt at full cost is seconds on a busy machine.
      for (const [name, role] of Object.entries(opts.users)) tokens[name] = await addToken(tokensFile, name, role, { N: 2 ** 10, r: 8, p: 1 });
      fake = await FakeDrachtio.start({ secret: 'console-secret', timeoutMs: CONSOLE_WAIT_MS });
      server = await startServer(
        {
          drachtio: { host: '127.0.0.1', port: fake.port, secret: fake.secret },
          http: { host: '127.0.0.1', port: 0 },
          trustedSources: new Set(),
          drainSeconds: 1,
          logLevel: 'info',
          admin: { tokensFile, auditLog: join(dataDir, 'audit.jsonl') },
        },
        plan.dir,
        pino({ level: 'silent' }),
        { dataDir, media: opts.media },
      );
      await fake.waitForRoutes(['invite']);
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...(opts.chromiumArgs ?? [])],
      });
      return new ConsoleApp(fake, server, browser, tokens, (server.http.address() as AddressInfo).port, cleanUp);
    } catch (error) {
      await server?.drain();
      await fake?.close();
      cleanUp();
      throw error;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Opens the console on `page` and signs in with the keyboard, as an officer would; resolves once the feed is connected. */
  async signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${this.url}/console`);
    await page.locator('#token').focus();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-feed="connected"]', { timeout: CONSOLE_WAIT_MS });
  }

  /** A call from the phone `from` dialling `to`, as drachtio-server hands it to the app. */
  call(from: string, to: string, sdp?: string): InboundTransaction {
    return this.fake.sendRequest(sip.invite({ from: `sip:${from}@${PHONE_SOURCE}`, to: `sip:${to}@${APP_HOST}`, sdp }), { source_address: PHONE_SOURCE });
  }

  async stop(): Promise<void> {
    try {
      await this.browser.close();
      await this.server.drain();
    } finally {
      await this.fake.close();
      this.cleanUp();
    }
  }
}

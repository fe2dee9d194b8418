#!/usr/bin/env node
import { createRequire } from 'node:module';
import { registerAudit } from './audit.js';
import { registerCheck } from './check.js';
import { registerClassify } from './classify.js';
import { registerGrant } from './grant.js';
import { registerNotices } from './notices.js';
import { registerPhone } from './phone.js';
import { registerPin } from './pin.js';
import { registerRecordings } from './recordings.js';
import { registerReport } from './report.js';
import { registerReplay } from './replay.js';
import { registerServe } from './serve.js';
import { registerToken } from './token.js';
import { registerValidate } from './validate.js';

// commander is CommonJS: required directly, it loads without its ESM wrapper and the scan of its exports
// that importing it costs (about 7 ms of every start).
const { Command } = createRequire(import.meta.url)('commander') as typeof import('commander');

const program = new Command('callguard')
  .description('Call-control policy: classify numbers, check decisions, validate the dialplan, manage phone locks, PINs and grants, serve SIP')
  .showHelpAfterError();

registerClassify(program);
registerCheck(program);
registerValidate(program);
registerPhone(program);
registerPin(program);
registerGrant(program);
registerServe(program);
registerToken(program);
registerAudit(program);
registerNotices(program);
registerRecordings(program);
registerReport(program);
registerReplay(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`callguard: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});

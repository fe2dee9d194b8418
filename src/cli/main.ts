#!/usr/bin/env node
import { createRequire } from 'node:module';
import type { Command as CommandType } from 'commander';
import { buildInfo } from '../buildInfo.js';
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
import { helpHint, reportUsageErrors, UsageError } from './usage.js';
import { registerValidate } from './validate.js';

// Output piped into a reader that stops early (`callguard ... | head -1`): what was wanted has been read.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// commander is CommonJS: required directly, it loads without its ESM wrapper and the scan of its exports
// that importing it costs (about 7 ms of every start).
const { Command } = createRequire(import.meta.url)('commander') as typeof import('commander');

const program = new Command('callguard')
  .description('Call-control policy: classify numbers, check decisions, validate the dialplan, manage phone locks, PINs and grants, serve SIP')
  .version(buildInfo().version, '-V, --version', 'print the version of callguard');

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
reportUsageErrors(program);

/** The command whose action is running, for the hint after a mistake it finds in its own arguments. */
let running: CommandType = program;
program.hook('preAction', (_program, action) => {
  running = action;
});

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`callguard: ${message}${error instanceof UsageError ? ` (${helpHint(running)})` : ''}\n`);
  process.exitCode = 2;
});

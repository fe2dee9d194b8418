#!/usr/bin/env node
import { Command } from 'commander';
import { registerCheck } from './check.js';
import { registerClassify } from './classify.js';
import { registerValidate } from './validate.js';

const program = new Command('callguard')
  .description('Call-control policy: classify numbers, check decisions, validate the dialplan')
  .showHelpAfterError();

registerClassify(program);
registerCheck(program);
registerValidate(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`callguard: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callguard } from '../support/cli.js';
import { Edge, until } from '../support/edgeFixture.js';
import { REPO_ROOT } from '../support/lab.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('callguard --version', () => {
  it('prints the package version with --version and -V', () => {
    expect(callguard(['--version'])).toMatchObject({ status: 0, stdout: `${VERSION}\n` });
    expect(callguard(['-V'])).toMatchObject({ status: 0, stdout: `${VERSION}\n` });
  });
});

describe('a running server names the same version', { timeout: 60_000 }, () => {
  let edge: Edge;
  beforeAll(async () => {
    edge = await Edge.start();
  });
  afterAll(async () => edge?.stop());

  it('in the serving line, /health and the callguard_build_info metric', async () => {
    const serving = await until('the serving line', () => edge.logs.find((l) => l.msg === 'callguard serving'));
    expect(serving.version).toBe(VERSION);
    expect(JSON.parse((await edge.get('/health')).text)).toMatchObject({ version: VERSION });
    expect((await edge.get('/metrics')).text).toContain(`callguard_build_info{version="${VERSION}"} 1\n`);
  });
});

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNumbering, loadPlan } from '../../src/dialplan/load.js';
import type { Numbering } from '../../src/numbering/classifier.js';
import type { Plan } from '../../src/policy/plan.js';

export const SAMPLE_DIALPLAN = fileURLToPath(new URL('../../dialplan', import.meta.url));

export async function samplePlan(): Promise<Plan> {
  const result = await loadPlan(SAMPLE_DIALPLAN);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.where}: ${p.message}`).join('\n'));
  return result.plan;
}

export async function sampleNumbering(): Promise<Numbering> {
  const result = await loadNumbering(SAMPLE_DIALPLAN);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.where}: ${p.message}`).join('\n'));
  return result.numbering;
}

/** A throw-away copy of the sample dialplan with some files replaced, for validation and reload tests. */
export function planCopy(files: Record<string, string> = {}): { dir: string; write(name: string, text: string): void; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'callguard-plan-'));
  cpSync(SAMPLE_DIALPLAN, dir, { recursive: true });
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

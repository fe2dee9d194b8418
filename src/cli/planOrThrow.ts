import { dialplanDir, loadPlan } from '../dialplan/load.js';
import { formatProblem } from '../dialplan/problem.js';
import type { Plan } from '../policy/plan.js';

/** Loads the dialplan for a command that cannot work without it; an invalid plan is an error with every problem listed. */
export async function planOrThrow(dir: string): Promise<Plan> {
  const result = await loadPlan(dir);
  if (!result.ok) throw new Error(`dialplan ${dir} is invalid:\n${result.problems.map(formatProblem).join('\n')}`);
  return result.plan;
}

/** The plan of --dialplan DIR, $CALLGUARD_DIALPLAN or ./dialplan, for a command that cannot work without it. */
export function planFrom(option: string | undefined): Promise<Plan> {
  return planOrThrow(dialplanDir(option));
}

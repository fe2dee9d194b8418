/** One thing wrong with the dialplan, pinned to the place an admin must edit. */
export interface Problem {
  /** "file:line:column", or the file or directory alone when the problem has no single line. */
  where: string;
  message: string;
}

export function formatProblem(problem: Problem): string {
  return `${problem.where}: ${problem.message}`;
}

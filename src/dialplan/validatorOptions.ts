/** ajv options of the two dialplan validators, shared by the build step and the run-time fallback. */
const base = { strict: true, strictRequired: false, allowUnionTypes: true } as const;

export const VALIDATOR_OPTIONS = {
  /** Valid files, the usual case, take the quick validator. */
  quick: base,
  /** A failing file is checked again for every problem. */
  thorough: { ...base, allErrors: true, verbose: true },
} as const;

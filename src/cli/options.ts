/** Options several commands share, worded once. */
export const DIALPLAN_OPTION = ['--dialplan <dir>', 'dialplan directory (default: $CALLGUARD_DIALPLAN or ./dialplan)'] as const;
export const REDIS_OPTION = ['--redis <url>', 'Redis holding the shared runtime state (default: $REDIS_URL, or Sentinel by $REDIS_SENTINELS and $REDIS_SENTINEL_NAME)'] as const;

/**
 * The defaults of a scan's bounds, the same for the CLI and for scans started from the dashboard;
 * alone in a small module, so the CLI's option parsing loads it without the scan engine.
 */
export const SCAN_DEFAULTS = {
  depth: 'count',
  concurrency: '64',
  rate: '1000',
  timeout: '3000',
  maxQueries: '5000',
  countBudget: '120000',
} as const;

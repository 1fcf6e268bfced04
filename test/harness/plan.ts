/** The plan arguments the target-space tests share: one port, detect depth, small bounds (nothing is probed). */
export const PLAN_BASE = {
  ports: [104],
  depth: 'detect' as const,
  timeoutMs: 100,
  concurrency: 1,
  rate: 1,
  aeTitles: [],
  maxQueries: 1,
  countBudgetMs: 100,
};

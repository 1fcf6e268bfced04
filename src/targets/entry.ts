/** One target as an input names it: what compact.ts merges, inputFile.ts parses and the plan stores. */
import type { TargetSpec } from './spec.js';

export interface InputEntry {
  spec: TargetSpec;
  /** Open ports reported by the tool that produced the file, or null (use --ports). */
  ports: number[] | null;
}

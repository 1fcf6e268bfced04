/**
 * Background scanning (a worker; a scan serve started in its own process) yields the CPU to what
 * people wait for on the same machine — the dashboard, the database — by running below normal
 * priority (nice 10, which its sweep helpers inherit). On a machine with nothing else to run it
 * costs nothing. `opendoor scan` run by hand keeps its priority. Lowering it needs no right; where
 * it is refused all the same, the process stays as it was.
 */
import os from 'node:os';

export function yieldToInteractive(): void {
  try {
    os.setPriority(os.constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // refused (an unusual sandbox): unchanged
  }
}

/** Whether the native parts were built: tests about the helpers themselves skip, saying why, when not. */
import { helperAvailable } from '../../src/sweep/nativeSweep.js';

export const NATIVE_SKIP: string | false = helperAvailable()
  ? false
  : 'native parts not built (OPENDOOR_NATIVE=0 or no C compiler): assertions about the helpers skipped';

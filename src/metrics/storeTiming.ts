/**
 * The one seam where a process's store calls are timed: the store it opened, wrapped once, then
 * handed to everyone that uses it (the dashboard's pages and API, the monitors, campaign
 * rechecks; a scan serve starts writes from a process of its own, as a worker does). Each call that answers a promise is timed from the call to its settling
 * and reported with its operation's name (`recordHost`, `accounts.userByToken`, …); generators
 * (a scan's records read a page at a time) pass through untimed. Nothing else changes: same
 * results, same errors.
 */
import type { Store } from '../store/store.js';

/** Told once per settled call: the operation (`method` or `part.method`) and how long it took, in seconds. */
export type StoreObserver = (operation: string, seconds: number) => void;

function timed<T extends object>(target: T, prefix: string, observe: StoreObserver): T {
  const wrappers = new Map<string, unknown>();
  const wrap = (key: string, value: unknown): unknown => {
    if (typeof value === 'function') {
      const operation = `${prefix}${key}`;
      return (...args: unknown[]): unknown => {
        const start = process.hrtime.bigint();
        const r: unknown = Reflect.apply(value, target, args);
        if (!(r instanceof Promise)) return r;
        const done = () => observe(operation, Number(process.hrtime.bigint() - start) / 1e9);
        return r.then(
          (v: unknown) => {
            done();
            return v;
          },
          (e: unknown) => {
            done();
            throw e;
          },
        );
      };
    }
    // the store's parts (accounts, monitors, slices, …): one level down, timed as `part.method`
    if (typeof value === 'object' && value !== null && prefix === '') return timed(value, `${key}.`, observe);
    return value;
  };
  return new Proxy(target, {
    get(t, key) {
      const value: unknown = Reflect.get(t, key);
      if (typeof key !== 'string' || (typeof value !== 'function' && (typeof value !== 'object' || value === null)))
        return value;
      if (!wrappers.has(key)) wrappers.set(key, wrap(key, value));
      return wrappers.get(key);
    },
  });
}

/** The store with every call timed; the same object's calls go on to it. */
export function timedStore(store: Store, observe: StoreObserver): Store {
  return timed(store, '', observe);
}

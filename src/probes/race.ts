/**
 * Two guesses of a port's protocol raced the way RFC 8305 ("happy eyeballs") races address
 * families: the first guess starts at once, the second after a short silence of the first (or as
 * soon as the first ends without its protocol having answered), the first whose protocol answers
 * wins and the other is cancelled. A port silent to both costs one timeout: once the first guess has
 * heard nothing for a whole timeout, the second, which has waited all but the delay, is stopped.
 */

/** What a guess is given: a signal that says it lost, and a way to say its protocol answered. */
export interface GuessControl {
  readonly signal: AbortSignal;
  /** The peer answered in this guess's protocol: the other guess is cancelled. */
  answered(): void;
}

export interface Guess<T> {
  readonly name: string;
  run(ctl: GuessControl): Promise<T>;
  /** The guess ended in a way that makes the other pointless (the port refused the connection). */
  final?(result: T): boolean;
  /** This guess is the one to name where the work is (the first, then the second once the first ended). */
  lead?(): void;
  /** Half-way through the delay, while the other guess is still unanswered: get ready to start (load code). */
  warm?(): void;
  /**
   * The guess ended because the port said nothing for a whole timeout. When the first guess ends so,
   * the port's silence is settled: the second is stopped (it waited all but the delay) and the race
   * says `silenced`.
   */
  silent?(result: T): boolean;
}

export interface RaceResult<T> {
  /** The guess whose protocol answered, or, when none did, the first guess's result. */
  winner: string;
  result: T;
  /** Each guess that ran to its end without its protocol answering (the second only if it started). */
  unanswered: Record<string, T>;
  /** The first guess heard nothing for a whole timeout and the second was stopped: the port is silent. */
  silenced: boolean;
}

/** RFC 8305 §5 recommends 250 ms between connection attempts; a fraction of a short timeout at most. */
export function guessDelayMs(timeoutMs: number): number {
  return Math.max(10, Math.min(250, Math.floor(timeoutMs / 4)));
}

interface Runner<T> {
  guess: Guess<T>;
  ctl: AbortController;
  spoke: boolean;
  done: Promise<T> | null;
  ended: { value: T } | null;
}

/**
 * `parent`: when this race is itself a guess of an outer race (plain TCP raced against TLS), either
 * guess answering answers the parent, and the parent's loss cancels both.
 */
export async function raceGuesses<T>(
  first: Guess<T>,
  second: Guess<T>,
  delayMs: number,
  parent?: GuessControl,
): Promise<RaceResult<T>> {
  const runner = (guess: Guess<T>): Runner<T> => ({
    guess,
    ctl: new AbortController(),
    spoke: false,
    done: null,
    ended: null,
  });
  const a = runner(first);
  const b = runner(second);
  // every change (an answer, an end, the delay) wakes the one waiter below
  let wake: () => void = () => undefined;
  const changed = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });
  const start = (r: Runner<T>, other: Runner<T>): void => {
    r.done ??= r.guess
      .run({
        signal: r.ctl.signal,
        answered: () => {
          if (r.spoke || other.spoke || r.ctl.signal.aborted) return;
          r.spoke = true;
          other.ctl.abort();
          parent?.answered();
          wake();
        },
      })
      .then((value) => {
        r.ended = { value };
        wake();
        return value;
      });
  };
  let delayOver = false;
  const timer = setTimeout(() => {
    delayOver = true;
    wake();
  }, delayMs);
  const lost = (): void => {
    a.ctl.abort();
    b.ctl.abort();
  };
  if (parent?.signal.aborted === true) lost();
  parent?.signal.addEventListener('abort', lost);
  const warming = setTimeout(() => {
    if (!a.spoke && b.done === null) second.warm?.();
  }, delayMs / 2);
  try {
    let next = changed();
    first.lead?.();
    start(a, b);
    let secondLeads = false;
    for (;;) {
      const spoken = a.spoke ? a : b.spoke ? b : null;
      if (spoken !== null) return await finish(spoken, a, b);
      if (b.done === null && a.ended !== null && a.guess.final?.(a.ended.value) === true)
        return {
          winner: a.guess.name,
          result: a.ended.value,
          unanswered: { [a.guess.name]: a.ended.value },
          silenced: false,
        };
      if (b.done !== null && b.ended === null && a.ended !== null && a.guess.silent?.(a.ended.value) === true) {
        b.ctl.abort();
        await b.done;
        return {
          winner: a.guess.name,
          result: a.ended.value,
          unanswered: { [a.guess.name]: a.ended.value },
          silenced: true,
        };
      }
      if (b.done === null && (delayOver || a.ended !== null)) start(b, a);
      if (a.ended !== null && b.done !== null && !secondLeads) {
        secondLeads = true;
        second.lead?.();
      }
      if (a.ended !== null && b.ended !== null)
        return {
          winner: a.guess.name,
          result: a.ended.value,
          unanswered: { [a.guess.name]: a.ended.value, [b.guess.name]: b.ended.value },
          silenced: false,
        };
      await next;
      next = changed();
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(warming);
    parent?.signal.removeEventListener('abort', lost);
  }
}

/** The winner's own result; the loser, cancelled, is waited for so that nothing of it outlives the race. */
async function finish<T>(winner: Runner<T>, a: Runner<T>, b: Runner<T>): Promise<RaceResult<T>> {
  const loser = winner === a ? b : a;
  const [result] = await Promise.all([winner.done as Promise<T>, loser.done]);
  return { winner: winner.guess.name, result, unanswered: {}, silenced: false };
}

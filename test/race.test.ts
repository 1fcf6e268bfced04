/** The protocol guesses' race (RFC 8305 style): who starts when, who wins, what the loser is told. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Guess, type GuessControl, guessDelayMs, raceGuesses } from '../src/probes/race.js';

interface Script {
  /** ms after its start when the guess's protocol answers (null: never). */
  answersAt: number | null;
  /** ms after its start when it ends by itself. */
  endsAt: number;
  value: string;
  final?: boolean;
}

function scripted(name: string, s: Script, log: string[]): Guess<string> {
  return {
    name,
    final: () => s.final === true,
    lead: () => log.push(`${name} leads`),
    warm: () => log.push(`${name} warms`),
    run: async (ctl: GuessControl) => {
      log.push(`${name} starts`);
      const t0 = performance.now();
      if (s.answersAt !== null) {
        await Promise.race([sleep(s.answersAt), new Promise((r) => ctl.signal.addEventListener('abort', r))]);
        if (!ctl.signal.aborted) ctl.answered();
      }
      const rest = Math.max(0, s.endsAt - (performance.now() - t0));
      await Promise.race([sleep(rest), new Promise((r) => ctl.signal.addEventListener('abort', r))]);
      if (ctl.signal.aborted) log.push(`${name} cancelled`);
      return s.value;
    },
  };
}

describe('protocol guess race', () => {
  test('the first answers within the delay: the second never starts', async () => {
    const log: string[] = [];
    const r = await raceGuesses(
      scripted('dicom', { answersAt: 5, endsAt: 20, value: 'D' }, log),
      scripted('http', { answersAt: 1, endsAt: 1, value: 'H' }, log),
      100,
    );
    assert.deepEqual([r.winner, r.result], ['dicom', 'D']);
    assert.deepEqual(log, ['dicom leads', 'dicom starts']);
  });

  test('the first is silent: the second starts after the delay, answers, and the first is cancelled', async () => {
    const log: string[] = [];
    const t0 = performance.now();
    const r = await raceGuesses(
      scripted('dicom', { answersAt: null, endsAt: 1000, value: 'D' }, log),
      scripted('http', { answersAt: 10, endsAt: 30, value: 'H' }, log),
      60,
    );
    const ms = performance.now() - t0;
    assert.deepEqual([r.winner, r.result], ['http', 'H']);
    assert.deepEqual(r.unanswered, {});
    assert.deepEqual(log, ['dicom leads', 'dicom starts', 'http warms', 'http starts', 'dicom cancelled']);
    assert.ok(ms >= 60 && ms < 500, `${Math.round(ms)} ms: the second waited the delay, the first did not run out`);
  });

  test('the first ends unanswered before the delay: the second starts at once and leads', async () => {
    const log: string[] = [];
    const t0 = performance.now();
    const r = await raceGuesses(
      scripted('http', { answersAt: null, endsAt: 5, value: 'no' }, log),
      scripted('dicom', { answersAt: 5, endsAt: 10, value: 'D' }, log),
      1000,
    );
    assert.deepEqual([r.winner, r.result], ['dicom', 'D']);
    assert.deepEqual(log, ['http leads', 'http starts', 'dicom starts', 'dicom leads']);
    assert.ok(performance.now() - t0 < 500, 'no delay waited');
  });

  test('the first ends finally (refused): the second never starts', async () => {
    const log: string[] = [];
    const r = await raceGuesses(
      scripted('http', { answersAt: null, endsAt: 1, value: 'refused', final: true }, log),
      scripted('dicom', { answersAt: 1, endsAt: 1, value: 'D' }, log),
      1000,
    );
    assert.deepEqual([r.winner, r.result], ['http', 'refused']);
    assert.deepEqual(r.unanswered, { http: 'refused' });
    assert.ok(!log.includes('dicom starts'));
  });

  test('silent to both: one wait, not two, and both results are told', async () => {
    const log: string[] = [];
    const t0 = performance.now();
    const r = await raceGuesses(
      scripted('dicom', { answersAt: null, endsAt: 300, value: 'silent-d' }, log),
      scripted('http', { answersAt: null, endsAt: 300, value: 'silent-h' }, log),
      50,
    );
    const ms = performance.now() - t0;
    assert.equal(r.result, 'silent-d');
    assert.deepEqual(r.unanswered, { dicom: 'silent-d', http: 'silent-h' });
    assert.ok(ms >= 330 && ms < 550, `${Math.round(ms)} ms: the delay plus one wait`);
    assert.deepEqual(log.slice(-1), ['http leads']);
  });

  test('the first heard nothing for a whole timeout: the second is stopped, one timeout in all', async () => {
    const log: string[] = [];
    const t0 = performance.now();
    const silentFirst = { ...scripted('dicom', { answersAt: null, endsAt: 300, value: 'silent-d' }, log) };
    const r = await raceGuesses(
      { ...silentFirst, silent: (v) => v === 'silent-d' },
      scripted('http', { answersAt: null, endsAt: 300, value: 'silent-h' }, log),
      50,
    );
    const ms = performance.now() - t0;
    assert.equal(r.silenced, true);
    assert.deepEqual(r.unanswered, { dicom: 'silent-d' });
    assert.ok(ms >= 290 && ms < 340, `${Math.round(ms)} ms: one wait, the delay not added`);
    assert.deepEqual(log.slice(-1), ['http cancelled']);
  });

  test('a race inside a guess: an answer answers the parent, the parent’s loss cancels both', async () => {
    const log: string[] = [];
    const parent = new AbortController();
    let told = 0;
    const ctl: GuessControl = { signal: parent.signal, answered: () => told++ };
    const won = await raceGuesses(
      scripted('dicom', { answersAt: 5, endsAt: 10, value: 'D' }, log),
      scripted('http', { answersAt: null, endsAt: 10, value: 'H' }, log),
      100,
      ctl,
    );
    assert.deepEqual([won.winner, told], ['dicom', 1]);
    setTimeout(() => parent.abort(), 20);
    const t0 = performance.now();
    const lost = await raceGuesses(
      scripted('dicom', { answersAt: null, endsAt: 1000, value: 'D' }, log),
      scripted('http', { answersAt: null, endsAt: 1000, value: 'H' }, log),
      5,
      ctl,
    );
    assert.ok(performance.now() - t0 < 500, 'cancelled, not run out');
    assert.deepEqual(lost.unanswered, { dicom: 'D', http: 'H' });
    assert.ok(log.includes('dicom cancelled') && log.includes('http cancelled'), log.join(', '));
  });

  test('the delay is RFC 8305’s 250 ms, a quarter of a short timeout at most', () => {
    assert.equal(guessDelayMs(3000), 250);
    assert.equal(guessDelayMs(600), 150);
    assert.equal(guessDelayMs(20), 10);
  });
});

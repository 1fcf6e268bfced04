/**
 * The overview's trend as numbers for an inline SVG (drawn by the template, no script): exposed
 * services per scan as bars on the left axis, patients as a line on the right axis, the scans' dates
 * along the bottom, and every value in a `<title>` (shown on hover, read by screen readers).
 */
import { count } from '../output/wording.js';

export interface Tick {
  /** Position along the axis (y for the counts, x for the dates). */
  at: number;
  label: string;
}

export interface Chart {
  width: number;
  height: number;
  /** The plot area inside the axes. */
  plot: { left: number; right: number; top: number; bottom: number };
  bars: Array<{ x: number; y: number; w: number; h: number; id: string; exposed: number; title: string }>;
  /** Patients across scans: the line's points, and a dot per scan with its value. */
  line: string;
  dots: Array<{ x: number; y: number; title: string }>;
  /** Exposed services (left), patients (right), dates (bottom). */
  leftTicks: Tick[];
  rightTicks: Tick[];
  dates: Tick[];
  maxExposed: number;
  maxPatients: number;
}

const W = 640;
const H = 200;
const PLOT = { left: 48, right: W - 56, top: 26, bottom: H - 34 };
/** Dates written along the bottom at most (every k-th scan beyond). */
const DATES_MAX = 8;

/** The axis' top: 1, 2 or 5 times a power of ten, at least the largest value (and at least 1). */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].map((m) => m * p).find((v) => v >= max) ?? 10 * p) as number;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function ticks(top: number): Tick[] {
  const span = PLOT.bottom - PLOT.top;
  const values = top === 1 ? [0, 1] : [0, top / 2, top].filter((v) => Number.isInteger(v));
  return values.map((v) => ({ at: Math.round(PLOT.bottom - (v / top) * span), label: fmt(v) }));
}

export function trendChart(
  trend: ReadonlyArray<{ id: string; started: string; exposed: number; patients: number }>,
): Chart {
  const n = Math.max(1, trend.length);
  const slot = (PLOT.right - PLOT.left) / n;
  const span = PLOT.bottom - PLOT.top;
  const maxExposed = niceMax(Math.max(0, ...trend.map((t) => t.exposed)));
  const maxPatients = niceMax(Math.max(0, ...trend.map((t) => t.patients)));
  const mid = (i: number) => Math.round(PLOT.left + i * slot + slot / 2);
  const yPatients = (p: number) => Math.round(PLOT.bottom - (p / maxPatients) * span);
  const date = (t: { started: string }) => t.started.slice(0, 10);
  const bars = trend.map((t, i) => {
    const h = Math.round((t.exposed / maxExposed) * span);
    const w = Math.max(1, Math.min(48, Math.round(slot * 0.7)));
    return {
      x: Math.round(mid(i) - w / 2),
      y: PLOT.bottom - h,
      w,
      h,
      id: t.id,
      exposed: t.exposed,
      title: `${date(t)}, scan ${t.id}: ${count(t.exposed, 'exposed service')}, ${count(t.patients, 'patient')}`,
    };
  });
  const dots = trend.map((t, i) => ({
    x: mid(i),
    y: yPatients(t.patients),
    title: `${date(t)}, scan ${t.id}: ${count(t.patients, 'patient')}`,
  }));
  const every = Math.ceil(trend.length / DATES_MAX);
  return {
    width: W,
    height: H,
    plot: PLOT,
    bars,
    line: dots.map((d) => `${d.x},${d.y}`).join(' '),
    dots,
    leftTicks: ticks(maxExposed),
    rightTicks: ticks(maxPatients),
    dates: trend.flatMap((t, i) => (i % every === 0 ? [{ at: mid(i), label: date(t) }] : [])),
    maxExposed,
    maxPatients,
  };
}

/** A campaign's remediation curve (share closed against days since notice) as a step line's points. */
export function curveChart(curve: ReadonlyArray<readonly [number, number]>): {
  width: number;
  height: number;
  points: string;
  maxDays: number;
} {
  const maxDays = Math.max(1, ...curve.map(([d]) => d));
  const x = (d: number) => Math.round((d / maxDays) * (W - 20)) + 10;
  const y = (share: number) => Math.round(H - 5 - share * (H - 10));
  const pts: string[] = [];
  let last = 0;
  for (const [d, share] of curve) {
    pts.push(`${x(d)},${y(last)}`, `${x(d)},${y(share)}`);
    last = share;
  }
  pts.push(`${x(maxDays)},${y(last)}`);
  return { width: W, height: H, points: pts.join(' '), maxDays };
}

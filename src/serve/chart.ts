/** The overview's trend as numbers for an inline SVG (drawn by the template, no script): exposed services per scan, and patients. */
export interface Chart {
  width: number;
  height: number;
  bars: Array<{ x: number; y: number; w: number; h: number; id: string; exposed: number }>;
  /** Patients across scans as a polyline's points, scaled to the same height. */
  line: string;
  maxExposed: number;
  maxPatients: number;
}

const W = 640;
const H = 160;

export function trendChart(trend: ReadonlyArray<{ id: string; exposed: number; patients: number }>): Chart {
  const n = Math.max(1, trend.length);
  const slot = W / n;
  const maxExposed = Math.max(1, ...trend.map((t) => t.exposed));
  const maxPatients = Math.max(1, ...trend.map((t) => t.patients));
  const bars = trend.map((t, i) => {
    const h = Math.round((t.exposed / maxExposed) * (H - 10));
    const w = Math.max(1, Math.min(48, Math.round(slot * 0.7)));
    return {
      x: Math.round(i * slot + (slot - w) / 2),
      y: H - h,
      w,
      h,
      id: t.id,
      exposed: t.exposed,
    };
  });
  const line = trend
    .map((t, i) => `${Math.round(i * slot + slot / 2)},${Math.round(H - (t.patients / maxPatients) * (H - 10))}`)
    .join(' ');
  return { width: W, height: H, bars, line, maxExposed, maxPatients };
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

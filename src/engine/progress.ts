import type { HostActivity } from '../net/hostScope.js';

/** Progress on stderr when it is a terminal: done/total, rate, ETA, services and exposures found, the oldest host in flight. */
export class Progress {
  private done = 0;
  /** Done before this run (a resumed scan): counted in done/total, not in the rate. */
  private before = 0;
  private services = 0;
  private exposed = 0;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly total: bigint | null,
    enabled: boolean,
    private readonly inFlight: { activities(): HostActivity[] } = { activities: () => [] },
    private readonly write: (s: string) => void = (s) => void process.stderr.write(s),
  ) {
    this.timer = enabled ? setInterval(() => this.print(), 1000) : null;
    this.timer?.unref();
  }

  /** Hosts done before this run (a resumed scan). */
  skip(n: number): void {
    this.done += n;
    this.before += n;
  }

  host(services: number, exposed: number): void {
    this.done++;
    this.services += services;
    this.exposed += exposed;
  }

  line(): string {
    const secs = (performance.now() - this.started) / 1000;
    const rate = secs > 0 ? (this.done - this.before) / secs : 0;
    const left = this.total === null ? null : Number(this.total) - this.done;
    const eta = rate > 0 && left !== null ? `${Math.ceil(left / rate)} s` : '?';
    const busy = this.inFlight.activities();
    const oldest = busy[0];
    const waiting =
      oldest === undefined
        ? ''
        : `, ${busy.length} in flight (oldest ${oldest.host}${oldest.port !== null ? `:${oldest.port}` : ''} ${oldest.step} ${Math.round(oldest.ageMs / 1000)} s)`;
    return `opendoor: ${this.done}/${this.total ?? '?'} hosts, ${rate.toFixed(1)}/s, ETA ${eta}, ${this.services} services, ${this.exposed} exposed${waiting}`;
  }

  private print(): void {
    this.write(`\r${this.line()}\x1b[K`);
  }

  end(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.print();
    this.write('\n');
  }
}

/**
 * Alert delivery to a monitor's webhook: a POST of the alert JSON with
 * `X-Opendoor-Signature: sha256=HEX` (HMAC-SHA256 of the body with the monitor's secret) and
 * `X-Opendoor-Delivery: ALERT_ID` (the same on every retry: the receiver drops duplicates). A
 * receiver that fails (no answer in 10 s, or not 2xx) is tried again with backoff; each attempt and
 * its outcome are stored, and a server that stopped sends the undelivered ones when it starts again.
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';

/** Pauses before the 2nd, 3rd, … attempt: 8 attempts over about two minutes. */
export const RETRY_MS: readonly number[] = [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000];
const TIMEOUT_MS = 10_000;
/** Deliveries in flight at once; more wait their turn. */
const PARALLEL = 8;

export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export class Webhooks {
  private readonly abort = new AbortController();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  send(id: string, url: string, secret: string, body: string, done = 0): void {
    void this.deliver(id, url, secret, body, done).catch((e: unknown) =>
      this.log.warn(`alert ${id}: ${e instanceof Error ? e.message : 'delivery failed'}`),
    );
  }

  /** Alerts whose delivery a stopped server left unfinished. */
  async resume(): Promise<void> {
    const monitors = new Map((await this.store.monitors.list()).map((m) => [m.name, m]));
    for (let offset = 0; ; offset += 100) {
      const { items } = await this.store.monitors.alerts(100, offset);
      for (const a of items) {
        const m = monitors.get(a.monitor);
        if (a.delivered === null && a.attempts <= RETRY_MS.length && m?.webhook && m.secret)
          this.send(a.id, m.webhook, m.secret, a.payload, a.attempts);
      }
      if (items.length < 100) return;
    }
  }

  stop(): void {
    this.abort.abort();
  }

  private async deliver(id: string, url: string, secret: string, body: string, done: number): Promise<void> {
    if (this.active >= PARALLEL) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      for (let attempt = done + 1; attempt <= RETRY_MS.length + 1 && !this.abort.signal.aborted; attempt++) {
        const error = await this.post(id, url, secret, body);
        await this.store.monitors.delivery(id, attempt, error);
        if (error === null) return;
        this.log.warn(`alert ${id}: webhook attempt ${attempt} failed: ${error}`);
        const pause = RETRY_MS[attempt - 1];
        if (pause === undefined) return;
        await new Promise<void>((r) => {
          const t = setTimeout(r, pause);
          this.abort.signal.addEventListener('abort', () => {
            clearTimeout(t);
            r();
          });
        });
      }
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /** One attempt: null when the receiver took it (2xx), else why not. */
  private async post(id: string, url: string, secret: string, body: string): Promise<string | null> {
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'opendoor-alerts',
          'x-opendoor-signature': signature(secret, body),
          'x-opendoor-delivery': id,
        },
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(TIMEOUT_MS)]),
      });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      return res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.name : 'error');
    }
  }
}

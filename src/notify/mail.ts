/**
 * Mail as opendoor sends it (notices, monitor alerts): composed once as RFC 5322 bytes (nodemailer's
 * MailComposer: plain text first, an HTML alternative, attachments), which is both the `.eml` a dry
 * run writes and what goes over SMTP (`--smtp smtp://user:pass@host:port` or `smtps://…`, STARTTLS
 * when offered). A send that fails for a passing reason (4xx, a lost connection) is tried again with
 * backoff; a refusal (5xx) is final. Every step has a timeout; errors are values with the server's reply.
 */
import { randomBytes } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { renderView } from '../report/views.js';
import { InputError } from '../util/errors.js';

export class SmtpUrlError extends InputError {
  override readonly name = 'SmtpUrlError';
}

export interface Mail {
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  attachments?: ReadonlyArray<{ filename: string; content: string; contentType: string }>;
}

/** The text as simple HTML (each line a paragraph, every character escaped: report/views/mail.eta). */
function htmlOf(text: string): string {
  return renderView('mail', { lines: text.split('\n') });
}

/** The message's bytes, with Message-ID, Date and `Auto-Submitted: auto-generated`. */
export async function compose(m: Mail, now = new Date()): Promise<Buffer> {
  const domain = m.from.split('@')[1] ?? 'opendoor.invalid';
  const composer = new MailComposer({
    from: m.from,
    to: m.to.join(', '),
    subject: m.subject,
    text: m.text,
    html: htmlOf(m.text),
    date: now,
    messageId: `<${Date.now().toString(36)}.${randomBytes(8).toString('hex')}@${domain}>`,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Mailer': 'opendoor' },
    attachments: (m.attachments ?? []).map((a) => ({ ...a })),
  });
  return composer.compile().build();
}

/** `--smtp`: smtp:// or smtps:// with a host; anything else is the user's input error. */
export function parseSmtpUrl(option: string, url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SmtpUrlError(`${option} must be smtp://[user:pass@]host[:port] or smtps://…, got an unparsable URL`);
  }
  if ((u.protocol !== 'smtp:' && u.protocol !== 'smtps:') || u.hostname === '')
    throw new SmtpUrlError(`${option} must be smtp://[user:pass@]host[:port] or smtps://…, got "${u.protocol}"`);
  return u;
}

export interface SendResult {
  ok: boolean;
  /** The server's reply (or the connection's error) when it failed. */
  error: string | null;
  attempts: number;
}

export interface MailerOptions {
  /** Pauses before the 2nd, 3rd, … attempt. */
  retryMs?: readonly number[];
  timeoutMs?: number;
}

export const MAIL_RETRY_MS: readonly number[] = [1000, 4000, 15_000];

interface SmtpError {
  responseCode?: number;
  response?: string;
  code?: string;
}

const replyOf = (e: unknown): { text: string; final: boolean } => {
  const x = (typeof e === 'object' && e !== null ? e : {}) as SmtpError;
  const text = (x.response ?? (x.code !== undefined ? `${x.code}` : e instanceof Error ? e.name : 'error'))
    .replace(/\s+/g, ' ')
    .slice(0, 300);
  return { text, final: typeof x.responseCode === 'number' && x.responseCode >= 500 };
};

/** One SMTP server; sends one message at a time. */
export class Mailer {
  private readonly transport: Transporter;
  private readonly retryMs: readonly number[];

  constructor(url: URL, o: MailerOptions = {}) {
    const timeout = o.timeoutMs ?? 30_000;
    this.retryMs = o.retryMs ?? MAIL_RETRY_MS;
    this.transport = createTransport({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port !== '' ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 25,
      secure: url.protocol === 'smtps:',
      ...(url.username !== ''
        ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
        : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      dnsTimeout: timeout,
    });
  }

  /** Send the composed bytes to these recipients, retrying passing failures. */
  async send(from: string, to: readonly string[], raw: Buffer): Promise<SendResult> {
    let error = '';
    for (let attempt = 1; ; attempt++) {
      try {
        await this.transport.sendMail({ envelope: { from, to: [...to] }, raw });
        return { ok: true, error: null, attempts: attempt };
      } catch (e) {
        const r = replyOf(e);
        error = r.text;
        const pause = this.retryMs[attempt - 1];
        if (r.final || pause === undefined) return { ok: false, error, attempts: attempt };
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** Paces sends: at most `perMinute` starts a minute, evenly spaced. */
export function pacer(perMinute: number): () => Promise<void> {
  const gap = 60_000 / perMinute;
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + gap;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}

/**
 * Every report format in one table: `opendoor report --format` (its check and its help) and the
 * dashboard's download links and route read it. A new format is one renderer and one row here (and
 * its row in docs/exports.md and docs/cli.md, which test/docs.test.ts checks against this table).
 */
import type { FeedOptions } from './feeds.js';
import { toHtml } from './html.js';
import { toIntelmq } from './intelmq.js';
import type { ReportModel } from './model.js';
import { toShadowserver } from './shadowserver.js';
import { toStix } from './stix.js';
import { toCsv, toJson, toMarkdown } from './text.js';

export type RenderOptions = FeedOptions;

export interface ReportFormat {
  /** What `--format` and the download path take. */
  name: string;
  /** The dashboard's link text. */
  label: string;
  mediaType: string;
  /** How a file of it ends (without the dot). */
  extension: string;
  /** Whether it takes `--include-honeypots` (the feeds leave suspected honeypots out by default). */
  honeypotOption: boolean;
  render(m: ReportModel, o: RenderOptions): string;
}

export const REPORT_FORMATS: readonly ReportFormat[] = [
  {
    name: 'html',
    label: 'HTML',
    mediaType: 'text/html; charset=utf-8',
    extension: 'html',
    honeypotOption: false,
    render: toHtml,
  },
  {
    name: 'md',
    label: 'Markdown',
    mediaType: 'text/markdown; charset=utf-8',
    extension: 'md',
    honeypotOption: false,
    render: toMarkdown,
  },
  {
    name: 'csv',
    label: 'CSV',
    mediaType: 'text/csv; charset=utf-8',
    extension: 'csv',
    honeypotOption: false,
    render: toCsv,
  },
  {
    name: 'json',
    label: 'JSON',
    mediaType: 'application/json; charset=utf-8',
    extension: 'json',
    honeypotOption: false,
    render: toJson,
  },
  {
    name: 'intelmq',
    label: 'IntelMQ events',
    mediaType: 'application/x-ndjson; charset=utf-8',
    extension: 'intelmq.jsonl',
    honeypotOption: true,
    render: toIntelmq,
  },
  {
    name: 'shadowserver',
    label: 'Shadowserver CSV',
    mediaType: 'text/csv; charset=utf-8',
    extension: 'shadowserver.csv',
    honeypotOption: true,
    render: toShadowserver,
  },
  {
    name: 'stix',
    label: 'STIX 2.1',
    mediaType: 'application/stix+json;version=2.1; charset=utf-8',
    extension: 'stix.json',
    honeypotOption: true,
    render: toStix,
  },
];

/** The format of that name, or undefined. */
export function reportFormat(name: string): ReportFormat | undefined {
  return REPORT_FORMATS.find((f) => f.name === name);
}

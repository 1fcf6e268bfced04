/** The CLI's defaults: a scan's bounds (shared with the dashboard's scans, engine/defaults.ts) and where `serve` listens. */
export { SCAN_DEFAULTS } from '../engine/defaults.js';

/** Where `opendoor serve` listens unless told (loopback: no TLS needed). */
export const SERVE_LISTEN = '127.0.0.1:8750';

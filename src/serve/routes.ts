/**
 * Every route of the dashboard and who may use it, in one table. The server refuses to start with a
 * route that is not here (server.ts, onRoute), and puts each route's guard on from this table: a
 * route cannot be added without saying who may call it. Every POST also needs the form's CSRF
 * token (and every DELETE), unless it is an API call with a Bearer token (no cookie to abuse).
 */
export type Access = 'public' | 'viewer' | 'admin';

export const ROUTES: Readonly<Record<string, Access>> = {
  'GET /login': 'public',
  'POST /login': 'public',
  'POST /logout': 'public',
  'GET /favicon.ico': 'public',
  'GET /static/*': 'public',
  // its own token (serve --metrics-token), not a user's: metrics/route.ts
  'GET /metrics': 'public',
  'GET /': 'viewer',
  'GET /scans': 'viewer',
  'POST /scans': 'admin',
  'GET /scans/:id': 'viewer',
  'GET /scans/:id/report.:format': 'viewer',
  'GET /scans/:id/letters.md': 'viewer',
  'GET /hosts/:address': 'viewer',
  'GET /diff': 'viewer',
  'GET /monitors': 'viewer',
  'POST /monitors': 'admin',
  'POST /notes': 'admin',
  'GET /campaigns': 'viewer',
  'GET /campaigns/:name': 'viewer',
  'POST /campaigns/:name/recheck': 'admin',
  'GET /optouts': 'viewer',
  'POST /optouts': 'admin',
  'POST /optouts/remove': 'admin',
  'GET /api/v1/scans': 'viewer',
  'POST /api/v1/scans': 'admin',
  'GET /api/v1/scans/:id': 'viewer',
  'GET /api/v1/scans/:id/services': 'viewer',
  'GET /api/v1/scans/:id/events': 'viewer',
  'GET /api/v1/hosts/:address': 'viewer',
  'GET /api/v1/monitors': 'viewer',
  'POST /api/v1/monitors': 'admin',
  'POST /api/v1/monitors/:name/run': 'admin',
  'GET /api/v1/alerts': 'viewer',
  'POST /api/v1/notes': 'admin',
  'GET /api/v1/campaigns': 'viewer',
  'GET /api/v1/campaigns/:name': 'viewer',
  'POST /api/v1/campaigns/:name/recheck': 'admin',
  'GET /api/v1/optouts': 'viewer',
  'POST /api/v1/optouts': 'admin',
  'DELETE /api/v1/optouts': 'admin',
  'GET /api/v1/openapi.json': 'viewer',
};

/** Who may use a route (HEAD as its GET); undefined for a route not in the table. */
export function accessOf(method: string, url: string): Access | undefined {
  return ROUTES[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

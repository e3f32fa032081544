/**
 * The HTTP port of rxgears: `/metrics`, `/healthz`, `/readyz` and the dashboard (what `rxgears serve --http`
 * runs), for an engine of your own.
 *
 * @example
 * import { serveHttp } from 'rxgears/http';
 * const http = await serveHttp(gears, { port: 8080 });
 */
export { serveHttp, DEFAULT_HTTP_OPTIONS, type HttpOptions, type HttpServer } from './HttpServer.ts';
export type { DashboardState, ExecutionDetail, ExecutionRow } from './api.ts';
export type { Readiness, ShardHealth } from './health.ts';

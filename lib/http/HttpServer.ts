import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics } from 'prom-client';
import type { Gears } from '../Gears.ts';
import { GearsError } from '../errors.ts';
import { metricsOf, type GearsMetrics } from '../metrics/GearsMetrics.ts';
import type { Deployments } from '../server/rg/Deployments.ts';
import { Activity } from './Activity.ts';
import { dashboardState, executionDetail } from './api.ts';
import { asset } from './assets.ts';
import { authorized, fromDashboard, isLoopback, loopbackRequest } from './auth.ts';
import { readiness } from './health.ts';

/** Options of the HTTP port: metrics, health and the dashboard. */
export interface HttpOptions {
  /** TCP port (default 8080); 0 picks a free one, read it back from `port`. */
  port?: number;
  /** Address to bind (default 127.0.0.1). Any other address needs `requirePass`. */
  host?: string;
  /** `/metrics`, the dashboard's data and its buttons need `Authorization: Bearer <password>` (or Basic). */
  requirePass?: string;
  /** The user name Basic auth must give (default `default`, as the RESP port's AUTH). */
  requireUser?: string;
  /** The server's deployments: the dashboard's unregister forgets a stored script as RG.UNREGISTER does. */
  deployments?: Deployments;
  /** The engine's metrics (default: `metricsOf(gears)`, made now if the engine had none). */
  metrics?: GearsMetrics;
  /** Also export prom-client's process and Node.js metrics (`process_cpu_seconds_total`, …); `rxgears serve` does. */
  processMetrics?: boolean;
  /** How long a shard may take to answer PING for `/readyz` and the dashboard, ms. */
  probeTimeoutMs?: number;
}

export const DEFAULT_HTTP_OPTIONS = {
  port: 8080,
  host: '127.0.0.1',
  requireUser: 'default',
  processMetrics: false,
  probeTimeoutMs: 2000,
} as const;

/** A running HTTP port. */
export interface HttpServer {
  readonly port: number;
  readonly host: string;
  /** Stops listening and sampling. Idempotent. */
  close(): Promise<void>;
}

/** A request the router refuses, with its HTTP status. */
class HttpError extends GearsError {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function validate(options: HttpOptions): void {
  const { port, host, requirePass } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new GearsError(`http port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (host !== undefined && (typeof host !== 'string' || host === ''))
    throw new GearsError('http host must be an address');
  if (requirePass !== undefined && (typeof requirePass !== 'string' || requirePass === '')) {
    throw new GearsError('requirePass must be a non-empty string');
  }
  if (host !== undefined && !isLoopback(host) && requirePass === undefined) {
    throw new GearsError(
      `refusing to serve HTTP on ${host} without a password: the dashboard can unregister gears (set --requirepass, or bind 127.0.0.1)`,
    );
  }
}

/** A path segment, decoded; a malformed escape (`%zz`) is the client's mistake, not a server error. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, `malformed path segment '${part}'`);
  }
}

function send(response: ServerResponse, status: number, body: string | Buffer, type: string): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'self'; img-src 'self' data:",
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/**
 * Serves an engine over HTTP: `GET /metrics` (Prometheus text format), `GET /healthz` (the process is up),
 * `GET /readyz` (every shard answers, no registration aborted) and the dashboard at `GET /` with its JSON API
 * under `/api/`. Loopback only unless a password is set; then everything but the probes and the page's own
 * files needs it.
 *
 * @example
 * const gears = await connect({ shards: 3, metrics: true });
 * const http = await serveHttp(gears, { port: 8080 }); // open http://127.0.0.1:8080/
 */
export async function serveHttp(gears: Gears, options: HttpOptions = {}): Promise<HttpServer> {
  validate(options);
  const settings = { ...DEFAULT_HTTP_OPTIONS, ...options };
  const metrics = options.metrics ?? metricsOf(gears);
  if (settings.processMetrics) collectDefaultMetrics({ register: metrics.registry });
  const activity = new Activity(gears, metrics);
  const password = settings.requirePass;

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    if (password === undefined && !loopbackRequest(request)) {
      throw new HttpError(403, 'this port answers requests to a loopback address only (set a password to open it)');
    }
    if (method === 'GET' && pathname === '/healthz') return sendJson(response, 200, { status: 'ok' });
    if (method === 'GET' && pathname === '/readyz') {
      const ready = await readiness(gears, settings.deployments, settings.probeTimeoutMs);
      return sendJson(response, ready.ready ? 200 : 503, ready);
    }
    if (method === 'GET') {
      const file = await asset(pathname);
      if (file) return send(response, 200, file.body, file.type);
    }
    if (pathname !== '/metrics' && !pathname.startsWith('/api/')) throw new HttpError(404, 'not found');
    if (password !== undefined && !authorized(request, password, settings.requireUser)) {
      response.setHeader('www-authenticate', 'Bearer realm="rxgears"');
      throw new HttpError(401, 'authentication required');
    }
    if (pathname === '/metrics') {
      if (method !== 'GET') throw new HttpError(405, 'use GET');
      return send(response, 200, await metrics.registry.metrics(), metrics.registry.contentType);
    }
    if (method === 'GET' && pathname === '/api/state') {
      return sendJson(response, 200, await dashboardState(gears, activity, settings.probeTimeoutMs));
    }
    const [, , kind, rawId, action] = pathname.split('/');
    const id = decodePart(rawId ?? '');
    if (kind === 'executions' && method === 'GET' && action === undefined) {
      return sendJson(response, 200, executionDetail(gears, activity, id));
    }
    if (method === 'GET') throw new HttpError(404, 'not found');
    if (!fromDashboard(request))
      throw new HttpError(403, 'a request that changes something needs the header X-Rxgears: 1');
    await act(kind, method, id, action);
    return sendJson(response, 200, { ok: true });
  };

  const act = async (kind: string | undefined, method: string, id: string, action: string | undefined) => {
    const verb = `${kind ?? ''} ${method} ${action ?? ''}`;
    if (verb === 'executions POST abort') return gears.abortExecution(id);
    if (verb === 'executions DELETE ') return gears.dropExecution(id);
    if (verb === 'registrations POST pause') return gears.pauseRegistrations([id]);
    if (verb === 'registrations POST unpause') return gears.unpauseRegistrations([id]);
    if (verb === 'registrations DELETE ') {
      // Through the deployments, like RG.UNREGISTER: a stored script is forgotten with its last registration.
      return settings.deployments ? settings.deployments.unregister(id) : gears.unregister(id);
    }
    throw new HttpError(404, 'not found');
  };

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const status =
        error instanceof HttpError
          ? error.status
          : error instanceof GearsError
            ? /does not exist/.test(error.message)
              ? 404
              : 400
            : 500;
      sendJson(response, status, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  server.on('error', () => undefined);
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new GearsError(`cannot listen on ${settings.host}:${settings.port}: ${error.message}`, { cause: error }),
        ),
      );
      server.listen(settings.port, settings.host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : settings.port);
      });
    });
  } catch (error) {
    activity.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    host: settings.host,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        activity.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

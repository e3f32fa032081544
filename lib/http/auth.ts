import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Whether `host` is a loopback address (or `localhost`): reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::ffff:127.0.0.1';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares in constant time (hashes first, so lengths do not leak either). */
function same(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Whether a request carries the password: `Authorization: Bearer <password>` (the dashboard, curl) or
 * `Basic base64(<user>:<password>)` (Prometheus' `basic_auth`), the user being the server's (`default`).
 */
export function authorized(request: IncomingMessage, password: string, user: string): boolean {
  const header = request.headers.authorization ?? '';
  const [scheme = '', credentials = ''] = header.split(' ', 2);
  if (scheme.toLowerCase() === 'bearer') return same(credentials, password);
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && same(decoded.slice(0, colon), user) && same(decoded.slice(colon + 1), password);
  }
  return false;
}

/**
 * Without a password the port answers loopback clients only, and only requests addressed to a loopback name:
 * a web page the user visits could otherwise reach it through DNS rebinding (its own name resolving to
 * 127.0.0.1) and read or change the registrations.
 */
export function loopbackRequest(request: IncomingMessage): boolean {
  const remote = request.socket.remoteAddress ?? '';
  const hostHeader = request.headers.host ?? '';
  const hostname = hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : hostHeader.split(':')[0]!;
  return isLoopback(remote) && isLoopback(hostname);
}

/**
 * A request that changes something must carry `X-Rxgears: 1`. A cross-site form or `fetch` without CORS cannot
 * send that header (it forces a preflight this server never approves), so another page open in the browser
 * cannot pause or unregister anything.
 */
export function fromDashboard(request: IncomingMessage): boolean {
  return request.headers['x-rxgears'] === '1';
}

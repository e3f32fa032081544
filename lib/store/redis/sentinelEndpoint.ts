import { isIP, type Socket } from 'node:net';
import type { Redis, RedisOptions } from 'ioredis';
import { endpointOfOptions, type WireEndpoint } from './wire.ts';

/** Whether ioredis finds the node through Redis Sentinel (`sentinels` and `name`) rather than at a fixed address. */
export function isSentinelClient(options: Readonly<RedisOptions>): boolean {
  return (options.sentinels?.length ?? 0) > 0;
}

/** The endpoint of each socket ioredis connected, made once per connection rather than per batch. */
const endpoints = new WeakMap<Socket, WireEndpoint>();

/**
 * Where a Sentinel client's command connection is connected now — the master Sentinel named when ioredis last
 * (re)connected — with the client's credentials and database, for the store's raw connections to follow; undefined
 * while there is no connected socket. The address is the socket's peer (the node itself, whatever name Sentinel or
 * `natMap` gave it); TLS (`enableTLSForSentinelMode`) keeps checking the certificate against the name ioredis
 * connected with. `role: 'master'` (unless the client asked for a replica, `role: 'slave'`) makes a raw connection
 * check the node is still a master when it opens: a failover demotes the old one.
 *
 * @example
 * const client = new Redis({ sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' });
 * client.once('ready', () => console.log(sentinelEndpoint(client))); // { host: '127.0.0.1', port: 6380, role: 'master', … }
 */
export function sentinelEndpoint(client: Redis): WireEndpoint | undefined {
  const stream = client.stream as (Socket & { _host?: unknown }) | undefined;
  if (stream === undefined || stream === null) return undefined;
  const known = endpoints.get(stream);
  if (known !== undefined) return known;
  const { remoteAddress, remotePort } = stream;
  if (remoteAddress === undefined || remotePort === undefined) return undefined;
  const options = client.options;
  // ioredis speaks TLS to a Sentinel's master only with `enableTLSForSentinelMode` (`tls` alone is not used there).
  let tls = options.enableTLSForSentinelMode ? options.tls : undefined;
  // Node keeps the host a socket was opened with as `_host` (not public): the name the certificate is checked against.
  const named = typeof stream._host === 'string' ? stream._host : undefined;
  if (tls !== undefined && tls.servername === undefined && named !== undefined && isIP(named) === 0)
    tls = { ...tls, servername: named };
  const endpoint: WireEndpoint = {
    ...endpointOfOptions(options),
    host: remoteAddress,
    port: remotePort,
    path: undefined,
    tls,
    role: options.role === 'slave' ? undefined : 'master',
  };
  endpoints.set(stream, endpoint);
  return endpoint;
}

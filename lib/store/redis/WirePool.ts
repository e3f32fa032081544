import { endpointKey, WireConnection, type WireEndpoint } from './wire.ts';

/** Idle dedicated connections kept per node and protocol, ready for the next MULTI or blocking command. */
const MAX_IDLE = 8;

/**
 * Raw connections to the nodes of one deployment: one *shared* connection per node and protocol, which every
 * client's stateless commands are pipelined on, and *dedicated* ones lent to a client whose commands keep
 * state on the connection (a transaction, a blocking pop, a subscription) and given back clean, or closed.
 *
 * @example
 * const pool = new WirePool();
 * pool.shared(endpoint, 2).request(requestFrame(['PING']), console.log);
 */
export class WirePool {
  private readonly sharedConnections = new Map<string, WireConnection>();
  private readonly idle = new Map<string, WireConnection[]>();
  private closed = false;

  /** The shared connection to `endpoint` speaking `protocol`; a new one when the last one broke. */
  shared(endpoint: WireEndpoint, protocol: 2 | 3): WireConnection {
    const key = `${protocol}/${endpointKey(endpoint)}`;
    let connection = this.sharedConnections.get(key);
    if (connection === undefined || !connection.usable) {
      connection = new WireConnection(endpoint, protocol);
      this.sharedConnections.set(key, connection);
      if (this.closed) connection.close();
    }
    return connection;
  }

  /** A connection of the caller's own: an idle one, or a new one. Give it back with `release` or `discard`. */
  acquire(endpoint: WireEndpoint, protocol: 2 | 3): WireConnection {
    const list = this.idle.get(`${protocol}/${endpointKey(endpoint)}`);
    while (list && list.length > 0) {
      const connection = list.pop()!;
      if (connection.usable) return connection;
    }
    const connection = new WireConnection(endpoint, protocol);
    if (this.closed) connection.close();
    return connection;
  }

  /** Takes back a dedicated connection whose state is clean again (no transaction, watch or subscription). */
  release(connection: WireConnection): void {
    const key = `${connection.protocol}/${endpointKey(connection.endpoint)}`;
    const list = this.idle.get(key) ?? [];
    if (this.closed || !connection.usable || connection.pending > 0 || list.length >= MAX_IDLE) {
      connection.close();
      return;
    }
    connection.onFrame = undefined;
    connection.onClose = undefined;
    list.push(connection);
    this.idle.set(key, list);
  }

  /** Closes every connection; later ones are closed as soon as they are made. Idempotent. */
  close(): void {
    this.closed = true;
    for (const connection of this.sharedConnections.values()) connection.close();
    for (const list of this.idle.values()) for (const connection of list) connection.close();
    this.sharedConnections.clear();
    this.idle.clear();
  }
}

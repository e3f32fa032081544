/** What a connection's commands see: the client's own state and the server's (built-ins, CLUSTER, the RG layer). */
import type { Gears } from '../../Gears.ts';
import type { Protocol } from '../protocol/replies.ts';
import type { CommandStats } from './CommandStats.ts';

/** One client connection's state: kept small on purpose. */
export interface ClientState {
  readonly id: number;
  readonly address: string;
  /** The server address this client connected to (what CLUSTER SLOTS tells it). */
  readonly localHost: string;
  protocol: Protocol;
  authenticated: boolean;
  name: string | null;
  /**
   * CLIENT REPLY: `off` drops every reply until `ON`, `skip` (set by SKIP) drops the next command's; pushes (pub/sub
   * messages and subscription replies) are sent either way, as in Redis. Undefined: `on`.
   */
  replies?: 'on' | 'off' | 'skip';
  /** The reply of the command in progress is dropped (it follows CLIENT REPLY SKIP); CLIENT REPLY ON clears it. */
  skipReply?: boolean;
  /** CLIENT UNBLOCK: ends the blocking command the client is parked in (false when none). */
  unblock?(withError: boolean): boolean;
}

/** What the built-in commands need from the server. */
export interface ServerContext {
  readonly gears: Gears;
  readonly requirePass: string | undefined;
  /** The user AUTH must name with the password (`default` unless the backing Redis URL named another). */
  readonly requireUser: string;
  readonly port: number;
  readonly startedAt: number;
  /** INFO's commandstats / errorstats (CommandStats.ts). */
  readonly stats: CommandStats;
  clients(): Iterable<ClientState>;
}

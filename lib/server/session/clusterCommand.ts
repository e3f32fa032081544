import { hashSlot, SLOT_COUNT } from '../../cluster/slots.ts';
import { ErrorReply, MapReply, VerbatimString, type Reply } from '../protocol/replies.ts';
import type { ClientState, ServerContext } from './context.ts';

/**
 * CLUSTER as a single-node cluster that owns every slot: the rxgears server itself, at the address the client
 * reached it on. Cluster-mode clients (ioredis `Cluster`, `redis-cli -c`) then send everything to rxgears,
 * which routes each key to its shard — instead of learning the real nodes from a proxied CLUSTER SLOTS and
 * bypassing the server (and its RG commands). Redis' own MOVED/ASK never reach the client.
 *
 * @example
 * clusterCommand(server, client, ['SLOTS']) // [[0, 16383, ['127.0.0.1', 6380, '<id>']]]
 */
export function clusterCommand(server: ServerContext, client: ClientState, args: string[]): Reply {
  const id = server.gears.infoCluster().myId;
  const [host, port] = [client.localHost, server.port];
  const last = SLOT_COUNT - 1;
  switch (args[0]!.toUpperCase()) {
    case 'SLOTS':
      return [[0, last, [host, port, id]]];
    case 'SHARDS':
      return [
        new MapReply([
          ['slots', [0, last]],
          [
            'nodes',
            [
              new MapReply([
                ['id', id],
                ['port', port],
                ['ip', host],
                ['endpoint', host],
                ['role', 'master'],
                ['replication-offset', 0],
                ['health', 'online'],
              ]),
            ],
          ],
        ]),
      ];
    case 'NODES':
      return new VerbatimString(`${id} ${host}:${port}@0 myself,master - 0 0 1 connected 0-${last}\n`);
    case 'INFO':
      return new VerbatimString(
        [
          'cluster_state:ok',
          `cluster_slots_assigned:${SLOT_COUNT}`,
          `cluster_slots_ok:${SLOT_COUNT}`,
          'cluster_known_nodes:1',
          'cluster_size:1',
          '',
        ].join('\r\n'),
      );
    case 'MYID':
      return id;
    case 'KEYSLOT':
      return args.length === 2
        ? hashSlot(args[1]!)
        : new ErrorReply("ERR wrong number of arguments for 'cluster|keyslot' command");
    default:
      return new ErrorReply(`ERR unknown subcommand '${args[0]}'. Try CLUSTER HELP.`);
  }
}

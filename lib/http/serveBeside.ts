import type { RxgearsServer } from '../server/Server.ts';
import { parseRedisUrl } from '../server/protocol/client.ts';
import { deploymentsOf } from '../server/rg/Deployments.ts';
import { serveHttp, type HttpServer } from './HttpServer.ts';

/** What `rxgears serve` knows when it opens the HTTP port beside the RESP one. */
export interface BesideOptions {
  host?: string;
  port: number;
  requirePass: string | undefined;
  redis: string | undefined;
  deploymentsKey: string | undefined;
}

/**
 * Opens the HTTP port of `rxgears serve` on the server's engine, with the RESP port's password (given, or the
 * Redis URL's, as `serve()` uses it) and its deployments. If it cannot open, the RESP server is closed too:
 * the command fails as a whole.
 */
export async function serveHttpBeside(server: RxgearsServer, options: BesideOptions): Promise<HttpServer> {
  try {
    const fromUrl: { username?: string | undefined; password?: string | undefined } =
      options.redis === undefined ? {} : parseRedisUrl(options.redis);
    const password = options.requirePass ?? fromUrl.password;
    const user = options.requirePass === undefined ? fromUrl.username : undefined;
    return await serveHttp(server.gears, {
      port: options.port,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(password !== undefined ? { requirePass: password } : {}),
      ...(user !== undefined ? { requireUser: user } : {}),
      deployments: deploymentsOf(
        server.gears,
        options.deploymentsKey === undefined ? {} : { key: options.deploymentsKey },
      ),
      processMetrics: true,
    });
  } catch (error) {
    await server.close();
    throw error;
  }
}

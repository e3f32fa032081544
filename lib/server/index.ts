/**
 * The rxgears RESP server: `serve()` connects an engine and serves it, `createServer()` serves one you have.
 *
 * @example
 * import { serve } from 'rxgears/server';
 * const server = await serve({ shards: 3, port: 6380 });
 */
export {
  createServer,
  serve,
  DEFAULT_SERVER_OPTIONS,
  type ServerOptions,
  type ServeOptions,
  type RxgearsServer,
  type ShutdownReport,
} from './Server.ts';
export {
  runScript,
  describeError,
  ScriptMemoryError,
  ScriptTimeoutError,
  type ScriptOptions,
  type ScriptOutcome,
} from './rg/sandbox.ts';
export {
  RespParser,
  RespProtocolError,
  DEFAULT_RESP_LIMITS,
  type RespLimits,
  type ParsedRequest,
} from './protocol/resp.ts';
export {
  encodeReply,
  encodeCommand,
  SimpleString,
  ErrorReply,
  MapReply,
  VerbatimString,
  OK,
  type Reply,
  type Protocol,
} from './protocol/replies.ts';
export { RespClient, ReplyParser, parseRedisUrl, type ClientReply } from './protocol/client.ts';

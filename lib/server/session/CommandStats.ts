/**
 * INFO's `commandstats`, `errorstats` and `total_error_replies`, counted as Redis 7.0 counts them for the commands
 * the server answers (built-ins, RG commands, the embedded store's commands; a Redis backend's raw path is
 * counted by that Redis): calls and time per command (`config|get` for a subcommand), calls refused before they
 * ran (`rejected_calls`: wrong arity, refused while queueing in MULTI) apart from calls that answered an error
 * (`failed_calls`), and every error reply by its first word. Commands queued in MULTI count when EXEC runs them.
 * CONFIG RESETSTAT starts them over.
 */
import { ErrorReply, SimpleString, type Reply } from '../protocol/replies.ts';

interface CommandStat {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

/** Commands whose second word names a subcommand in Redis' statistics (`cmdstat_config|get`). */
export const CONTAINER_NAMES = new Set([
  'ACL',
  'CLIENT',
  'CLUSTER',
  'COMMAND',
  'CONFIG',
  'FUNCTION',
  'LATENCY',
  'MEMORY',
  'MODULE',
  'OBJECT',
  'PUBSUB',
  'SCRIPT',
  'SLOWLOG',
  'XGROUP',
  'XINFO',
]);

/** Errors Redis gives before a command runs (`rejectCommand`): they count as rejected, not failed. */
const REFUSED = /^(?:ERR wrong number of arguments|NOAUTH )/;

/** What a client in MULTI runs at once rather than queues. */
const TRANSACTION = new Set(['EXEC', 'DISCARD', 'MULTI', 'WATCH']);

/** Redis keeps at most this many error kinds, then stops adding new ones. */
const MAX_ERROR_KINDS = 128;

export class CommandStats {
  private commands = new Map<string, CommandStat>();
  private errors = new Map<string, number>();
  private errorReplies = 0;
  private errorsDisabled = false;

  /**
   * Counts one command and its reply. `upper` is the upper-case name, `sub` its second word when it names a
   * subcommand (see {@link CONTAINER_NAMES}),
   * `queueing`: the client was in MULTI (an error then refused the command, it did not run).
   */
  record(upper: string, sub: string | undefined, reply: Reply, usec: number, queueing: boolean): void {
    if (reply instanceof ErrorReply) {
      this.countError(reply.message);
      // Redis has no command to count an unknown command or subcommand under.
      if (/^ERR unknown (?:sub)?command /.test(reply.message)) return;
      const stat = this.stat(upper, sub);
      if ((queueing && !TRANSACTION.has(upper)) || REFUSED.test(reply.message)) stat.rejected++;
      else {
        stat.calls++;
        stat.usec += usec;
        stat.failed++;
      }
      return;
    }
    // Queued: counted when EXEC runs it (a Redis backend's session queues it there, out of sight: not at all).
    if ((queueing && !TRANSACTION.has(upper)) || (reply instanceof SimpleString && reply.value === 'QUEUED')) return;
    const stat = this.stat(upper, sub);
    stat.calls++;
    stat.usec += usec;
    if (Array.isArray(reply) && upper === 'EXEC')
      for (const r of reply) if (r instanceof ErrorReply) this.countError(r.message);
  }

  /** One command EXEC ran, with its reply (its time is in EXEC's). */
  recordQueued(upper: string, sub: string | undefined, reply: Reply): void {
    const stat = this.stat(upper, sub);
    stat.calls++;
    if (reply instanceof ErrorReply) stat.failed++;
  }

  reset(): void {
    this.commands = new Map();
    this.errors = new Map();
    this.errorReplies = 0;
    this.errorsDisabled = false;
  }

  get totalErrorReplies(): number {
    return this.errorReplies;
  }

  /** `cmdstat_<name>:calls=…,usec=…,usec_per_call=…,rejected_calls=…,failed_calls=…` lines. */
  commandLines(): string[] {
    return [...this.commands].map(([key, s]) => {
      const name = key.toLowerCase();
      const perCall = s.calls === 0 ? 0 : s.usec / s.calls;
      return (
        `cmdstat_${name}:calls=${s.calls},usec=${Math.round(s.usec)},usec_per_call=${perCall.toFixed(2)},` +
        `rejected_calls=${s.rejected},failed_calls=${s.failed}`
      );
    });
  }

  /** `errorstat_<KIND>:count=…` lines. */
  errorLines(): string[] {
    const lines = [...this.errors].map(([kind, count]) => `errorstat_${kind}:count=${count}`);
    return this.errorsDisabled ? [...lines, 'errorstat_ERRORSTATS_DISABLED:count=1'] : lines;
  }

  private stat(upper: string, sub: string | undefined): CommandStat {
    const key = sub === undefined ? upper : `${upper}|${sub.toUpperCase()}`;
    let stat = this.commands.get(key);
    if (stat === undefined) this.commands.set(key, (stat = { calls: 0, usec: 0, rejected: 0, failed: 0 }));
    return stat;
  }

  /** `afterErrorReply`: the error's first word (within 32 characters), else `ERR`. */
  private countError(message: string): void {
    this.errorReplies++;
    const space = message.indexOf(' ');
    const kind = space !== -1 && space < 31 ? message.slice(0, space) : 'ERR';
    const count = this.errors.get(kind);
    if (count !== undefined) this.errors.set(kind, count + 1);
    else if (this.errors.size >= MAX_ERROR_KINDS) this.errorsDisabled = true;
    else this.errors.set(kind, 1);
  }
}

import { GearsError } from '../../errors.ts';

/**
 * What keeps a server that anyone can reach from being used by anyone: Redis' cross-protocol attack check and
 * its protected mode, as rxgears applies them.
 */

/** What Redis logs (`securityWarningCommand`) before it drops a connection that speaks HTTP to it. */
export const ATTACK_WARNING =
  'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. ' +
  'This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis ' +
  'instance. Connection aborted.';

/**
 * True when a request's command is `POST` or `Host:` (any case): an HTTP request that a browser was tricked
 * into sending to the RESP port, whose body would otherwise run as commands. Redis closes such a connection
 * without a reply; so does the server, before the body's lines run.
 *
 * @example
 * isCrossProtocolAttack(Buffer.from('POST')) // true
 */
export function isCrossProtocolAttack(command: Buffer | undefined): boolean {
  if (command === undefined || (command.length !== 4 && command.length !== 5)) return false;
  const name = command.toString('latin1').toLowerCase();
  return name === 'post' || name === 'host:';
}

/** Loopback addresses: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::ffff:127.0.0.1';
}

/**
 * Protected mode, decided at start (Redis decides per client; refusing to start says it sooner and louder):
 * a server bound beyond loopback without a password would run any visitor's `RG.JSEXECUTE`, i.e. any code.
 *
 * @example
 * checkProtectedMode({ host: '0.0.0.0' }) // throws: … set --requirepass, or --protected-mode no …
 */
export function checkProtectedMode(options: {
  host?: string | undefined;
  requirePass?: string | undefined;
  protectedMode?: boolean | undefined;
}): void {
  const { host, requirePass, protectedMode } = options;
  if (protectedMode === false || requirePass !== undefined || host === undefined || isLoopbackAddress(host)) return;
  throw new GearsError(
    `refusing to listen on ${host} without a password (protected mode): anyone who reaches it could run code ` +
      'with RG.JSEXECUTE; set --requirepass, or --protected-mode no to expose it anyway',
  );
}

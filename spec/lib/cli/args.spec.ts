import { describe, expect, it } from 'vitest';
import { envNameOf, integerFlag, parseCommandArgs, UsageError } from '../../../lib/cli/args.ts';
import { logFormat } from '../../../lib/cli/logFormat.ts';

const OPTIONS = {
  redis: { type: 'string', group: 'data' },
  shards: { type: 'string', group: 'data' },
  port: { type: 'string' },
  'deployments-key': { type: 'string' },
  'allow-require': { type: 'boolean' },
  id: { type: 'string', env: 'RXGEARS_WORKER_ID' },
} as const;

const parse = (args: string[], env: Record<string, string>) => parseCommandArgs('serve', args, OPTIONS, env);

describe('CLI options from the environment', () => {
  it('names each variable RXGEARS_<FLAG>, RXGEARS_REDIS_URL for --redis, or as the option says', () => {
    expect(envNameOf('port')).toBe('RXGEARS_PORT');
    expect(envNameOf('deployments-key')).toBe('RXGEARS_DEPLOYMENTS_KEY');
    expect(envNameOf('redis')).toBe('RXGEARS_REDIS_URL');
    expect(envNameOf('id', { env: 'RXGEARS_WORKER_ID' })).toBe('RXGEARS_WORKER_ID');
  });

  it('reads options not on the command line from their variables, and says where each came from', () => {
    const { values, source } = parse(['--port', '7000'], {
      RXGEARS_PORT: '9999',
      RXGEARS_REDIS_URL: 'redis://db:6379',
      RXGEARS_DEPLOYMENTS_KEY: 'deploys',
      RXGEARS_ALLOW_REQUIRE: 'yes',
      RXGEARS_WORKER_ID: 'w-1',
    });
    expect(values).toEqual({
      port: '7000',
      redis: 'redis://db:6379',
      'deployments-key': 'deploys',
      'allow-require': true,
      id: 'w-1',
    });
    expect([source('port'), source('redis'), source('shards')]).toEqual(['--port', 'RXGEARS_REDIS_URL', '--shards']);
  });

  it('lets a flag turn off the variables of its group (--shards beats RXGEARS_REDIS_URL)', () => {
    expect(parse(['--shards', '3'], { RXGEARS_REDIS_URL: 'redis://db:6379' }).values).toEqual({ shards: '3' });
  });

  it('takes an empty variable for unset, and reads booleans as 1/0, true/false, yes/no', () => {
    expect(parse([], { RXGEARS_PORT: '', RXGEARS_ALLOW_REQUIRE: '0' }).values).toEqual({ 'allow-require': false });
    expect(() => parse([], { RXGEARS_ALLOW_REQUIRE: 'maybe' })).toThrow(
      new UsageError("RXGEARS_ALLOW_REQUIRE must be true or false (1/0, yes/no), got 'maybe'"),
    );
  });

  it('names the variable in a bad value’s message', () => {
    const { values, source } = parse([], { RXGEARS_PORT: 'eighty' });
    expect(() => integerFlag(source('port'), values.port, 0, 65535)).toThrow(
      new UsageError("RXGEARS_PORT must be an integer from 0 to 65535, got 'eighty'"),
    );
    expect(() => integerFlag('port', 'x', 0, 1)).toThrow("--port must be an integer from 0 to 1, got 'x'");
  });

  it('reads nothing from the environment for --help', () => {
    expect(parse(['--help'], { RXGEARS_PORT: '1' }).values).toEqual({ help: true });
  });

  it('--log-format takes text or json', () => {
    expect(logFormat(undefined, '--log-format')).toBeUndefined();
    expect(logFormat('text', '--log-format')).toBeUndefined();
    expect(logFormat('json', '--log-format')).toMatchObject({ warn: expect.any(Function) });
    expect(() => logFormat('xml', 'RXGEARS_LOG_FORMAT')).toThrow(
      new UsageError("RXGEARS_LOG_FORMAT takes text or json, got 'xml'"),
    );
  });
});

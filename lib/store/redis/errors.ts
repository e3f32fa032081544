// The class lives in lib/errors.ts with the others (exported from 'rxgears' without loading ioredis).
export { RedisConnectionError } from '../../errors.ts';

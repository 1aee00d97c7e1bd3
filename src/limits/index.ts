/** Rate limits: the `limits` option, the limiter (memory or Redis, fail closed) and Redis client creation. */
export {
  LIMIT_RULES, DEFAULT_LIMITS, resolveLimitOptions,
  type LimitRule, type LimitOptions, type LimitRuleOption, type LimitWindowOption, type ResolvedLimits, type ResolvedWindow,
} from './limit-options.ts';
export { createLimiter, type Limiter, type LimiterOptions, type LimiterStore, type LimitCheck, type LimitResult } from './limiter.ts';
export { LimiterUnavailableError } from './limiter-error.ts';
export {
  createRedisClient, reconnectDelayMs,
  type RedisClient, type RedisConnection, type RedisConnectionInput, type RedisClientOptions, type ClusterNodeAddress,
} from './redis-client.ts';

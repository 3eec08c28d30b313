/** What `config.limiter` takes: resolves once `permits` requests may go for `key`. */
export interface Limiter {
  /** The permit's `release({ answered })` is called when its request has ended (`answered`: a response came back). */
  acquire(key: string, permits: number, details?: { rate?: number }): Promise<{ release(outcome?: { answered?: boolean }): unknown } | void>;
}

export interface RedisLimiterOptions {
  /** `redis://[:password@]host[:port][/db]`; default redis://127.0.0.1:6379. */
  url?: string;
  /** Requests per window for keys whose client does not pass its `rateLimit`. */
  rate?: number;
  /** The vendor's counting window; default 1000 ms. */
  windowMs?: number;
  /** An unreleased permit (its process died) counts as released after this long; default 30000 ms. */
  staleMs?: number;
  /** Prepended to every Redis key. */
  prefix?: string;
}

export interface RedisLimiter extends Limiter {
  close(): void;
}

/**
 * A limiter shared through Redis, Node only: permit k goes a window after permit k−rate was
 * released, less the floor of the round trips seen on the key (so no window at the vendor
 * holds more than `rate` arrivals, at any latency), on an even GCRA schedule.
 */
export declare function createRedisLimiter(options?: RedisLimiterOptions): RedisLimiter;

import type { Limiter, LimiterPermit } from "./index.js";

export type { Limiter, LimiterPermit };

/** An ioredis or node-redis client: anything with ioredis' `call(...args)` or node-redis' `sendCommand(args)`. */
export type RedisClientLike = { call(...args: string[]): Promise<unknown> } | { sendCommand(args: string[]): Promise<unknown> };

export interface RedisLimiterOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS; default
   * redis://127.0.0.1:6379. Needs the ioredis package (an optional peer dependency).
   */
  url?: string;
  /** More ioredis options for `url`, e.g. `{ tls: { ca } }` for a server with a private CA. */
  redisOptions?: Record<string, unknown>;
  /** An ioredis or node-redis client you own, instead of `url`; `close()` leaves it open. */
  client?: RedisClientLike;
  /** Requests per window for keys whose client does not pass its `rateLimit`. */
  rate?: number;
  /** The vendor's counting window; default 1000 ms. */
  windowMs?: number;
  /** An unreleased permit (its process died) counts as released after this long; default 30000 ms. */
  staleMs?: number;
  /**
   * The longest any Redis command may take; default 5000 ms. Past it the permit request fails,
   * and the client fails that attempt as a retryable `network` failure and goes on.
   */
  acquireTimeoutMs?: number;
  /** Prepended to every Redis key (each key is `<prefix>{<limiter key>}:<part>`, one hash slot). */
  prefix?: string;
}

export interface RedisLimiter extends Limiter {
  /** `details.rate` may be left out when `createRedisLimiter({ rate })` gave one. */
  acquire(key: string, permits?: number, details?: { rate?: number }): Promise<Required<LimiterPermit>>;
  /** Closes the connection the limiter opened from `url` (not a `client` you passed). */
  close(): void;
}

/**
 * A limiter shared through Redis, Node only: permit k goes a window after permit k−rate was
 * released, less the floor of the round trips seen on the key (so no window at the vendor
 * holds more than `rate` arrivals, at any latency), on an even GCRA schedule.
 */
export declare function createRedisLimiter(options?: RedisLimiterOptions): RedisLimiter;

// ESM entry of improfiles/redis-limiter (the implementation is the CommonJS file beside it).
import limiter from "./redis-limiter.cjs";

export const { createRedisLimiter } = limiter;

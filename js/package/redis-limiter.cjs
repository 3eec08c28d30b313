// improfiles/redis-limiter: one rate budget shared by every process that uses the same
// vendor account, kept in Redis. Pass it as `config.limiter`; the client then asks it for a
// permit before every request instead of pacing itself, and hands the permit back when the
// request has ended.
//
// Vendors count requests by arrival, and arrival follows the grant by a latency that varies,
// so spacing grants evenly is not enough to keep every 1-second window at the vendor within
// the rate. The rule is the client's own in-process one (core/src/pacing.rs explains it), made
// shared: permit k goes a window after permit k−N (N = the rate) was released, less the floor
// of the round trip — the shortest grant-to-release time seen lately on this key, less a
// margin that shrinks with the number of samples. A request arrives no later than its release
// minus the shortest way back, and no earlier than its grant plus the shortest way out, so
// every window at the vendor holds at most N, paying for latency *variation*, not latency. A
// permit released without an answer (`release({ answered: false })`: a timeout, a network
// error) earns no credit: the causal rule, a full window after its release. The floor is taken
// only over permits granted while fewer of this process's permits were out than at its busiest
// (as in core/src/scheduler): any other one's request found no idle connection, opened one and
// paid the TCP and TLS handshakes on its way out, as every request does at a cold start. No
// floor counts until 8 round trips are known, and a permit's time is worked out again just
// before it goes, from the round trips known by then. (In-process pacing also caps the floor
// at the shortest round trip of a request that opened a connection, for the requests a
// browser queues out of sight, and in a browser credits none until requests sent after the
// client's first window have answered, for a browser whose start delays every early request
// alike; the processes of a Redis limiter are Node's, which do neither.)
// On top, grants follow a GCRA schedule (as redis-cell and API gateways do) so that they are
// spread evenly.
//
// Every step is one Lua script run atomically on Redis's own clock, and every key a script
// touches is declared in KEYS under one {hash tag}, so it runs on Redis Cluster too. A permit
// that is never released (its process died) counts as released after `staleMs`.
//
// The Redis connection is a well-kept client's, not ours: pass `{ client }` (an ioredis or
// node-redis client you own: it reconnects, speaks TLS and ACLs), or `{ url }` and ioredis (an
// optional peer dependency) connects. Every command is bounded by `acquireTimeoutMs`: while
// Redis is down or restarting a permit request fails (the client fails that attempt as a
// retryable `network` failure and goes on) instead of hanging, and works again once Redis is
// back. A restarted Redis has forgotten the permits out: for up to a window, requests that
// were in flight then are not counted.
"use strict";

const { setTimeout: sleep } = require("node:timers/promises");

// As core/src/pacing.rs: the least margin under the observed floor (clocks tick in milliseconds),
// how many round trips the floor is taken over, and how many must be known before any counts.
const MIN_MARGIN_US = 3000;
const ROUND_TRIPS_KEPT = 256;
const MIN_SAMPLES = 8;

// The keys of one limiter key, all under one hash tag; the scripts name them by position.
const SUFFIXES = ["seq", "tat", "granted", "released", "sent", "rtt_of", "rtt"];
const K = Object.fromEntries(SUFFIXES.map((suffix, i) => [suffix, `KEYS[${i + 1}]`]));

// Shared by the scripts: the time now (µs); what the model may credit of a round trip (µs);
// and when permit `seq` may go (µs), or -1 (and its GCRA slot) while the permit it depends on
// is still out. ARGV[2..4]: n, window µs, stale µs.
const COMMON = `
local n = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local stale = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function credit()
  local trips = redis.call('LRANGE', ${K.rtt}, 0, -1)
  local count = #trips
  if count < ${MIN_SAMPLES} then return 0 end
  local sorted = {}
  for i, v in ipairs(trips) do sorted[i] = tonumber(v) end
  table.sort(sorted)
  local floor = sorted[1]
  local high = sorted[math.floor((count - 1) * 9 / 10) + 1]
  local margin = ${MIN_MARGIN_US} + 2 * (high - floor) / math.sqrt(count)
  return math.max(0, floor - margin)
end
local function ready_at(seq)
  local at = tonumber(redis.call('HGET', ${K.granted}, seq) or '0')
  local dep = seq - n
  if dep < 1 then return at end
  local done = redis.call('HGET', ${K.released}, dep)
  if done then
    local own = redis.call('HGET', ${K.rtt_of}, dep)
    local credited = own and math.min(credit(), tonumber(own)) or 0
    return math.max(at, tonumber(done) + window - credited)
  end
  local sent = redis.call('HGET', ${K.granted}, dep)
  if not sent then return at end
  if now - tonumber(sent) > stale then return math.max(at, tonumber(sent) + stale + window) end
  return -1
end
local function answer(seq)
  local at = ready_at(seq)
  if at < 0 then
    local slot = tonumber(redis.call('HGET', ${K.granted}, seq) or '0')
    return {seq, -1, math.max(0, math.ceil((slot - now) / 1000))}
  end
  redis.call('HSET', ${K.sent}, seq, string.format('%.0f', math.max(at, now)))
  return {seq, math.max(0, math.ceil((at - now) / 1000))}
end
`;

// ARGV: interval µs, n, window µs, stale µs, keep seconds
const ACQUIRE = `${COMMON}
local interval = tonumber(ARGV[1])
local keep = tonumber(ARGV[5])
local seq = redis.call('INCR', ${K.seq})
local tat = tonumber(redis.call('GET', ${K.tat}) or '0')
if tat < now then tat = now end
redis.call('SET', ${K.tat}, string.format('%.0f', tat + interval), 'EX', keep)
redis.call('HSET', ${K.granted}, seq, string.format('%.0f', tat))
for i = 3, 6 do redis.call('HDEL', KEYS[i], seq - 4 * n) end
for i = 1, 7 do redis.call('EXPIRE', KEYS[i], keep) end
return answer(seq)
`;

// ARGV[1]: the permit's seq (then as above)
const CHECK = `${COMMON}
return answer(tonumber(ARGV[1]))
`;

// ARGV[1]: the permit's seq; ARGV[2]: 1 when its request was answered; ARGV[3]: 1 when its round
// trip counts towards the floor
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('HSET', ${K.released}, ARGV[1], string.format('%.0f', now))
local sent = redis.call('HGET', ${K.sent}, ARGV[1])
if ARGV[2] == '1' and sent then
  local rtt = string.format('%.0f', math.max(0, now - tonumber(sent)))
  redis.call('HSET', ${K.rtt_of}, ARGV[1], rtt)
  if ARGV[3] == '1' then
    redis.call('LPUSH', ${K.rtt}, rtt)
    redis.call('LTRIM', ${K.rtt}, 0, ${ROUND_TRIPS_KEPT - 1})
  end
end
return 1
`;

/** While the permit depended on is out, ask again this often (or at its GCRA slot, if later). */
const POLL_MS = 5;
/**
 * A permit whose time is further off than this is asked about again this long before it: the
 * round trips released meanwhile (at a start, all but a few) may move it.
 */
const RECHECK_MS = 20;

/** Raw commands (`["EVALSHA", …]`) on an ioredis client (`call`) or a node-redis one (`sendCommand`). */
function commandsOf(client) {
  if (typeof client?.call === "function") return (args) => client.call(...args);
  if (typeof client?.sendCommand === "function") return (args) => client.sendCommand(args);
  throw new TypeError("createRedisLimiter: client must be an ioredis or node-redis client (it has call() or sendCommand())");
}

/** An ioredis client for `url`, a URL (redis://, rediss:// for TLS, user:password@ for ACLs). */
function connect(url, redisOptions) {
  let Redis;
  try {
    Redis = require("ioredis");
  } catch {
    throw new Error(
      "createRedisLimiter({ url }) needs the ioredis package (npm install ioredis); or pass { client }, an ioredis or node-redis client of your own",
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new TypeError("createRedisLimiter: url must start with redis:// or rediss://");
  // Commands wait for the first connection; while a later one is down they fail after one
  // reconnection attempt instead of queueing for ever. The client keeps reconnecting.
  const client = new (Redis.default ?? Redis)(url.href, { maxRetriesPerRequest: 0, ...redisOptions });
  // Connection errors reach each command as its failure; ioredis would also print them.
  client.on("error", () => {});
  return client;
}

/** `promise`, or a rejection once `ms` have passed. */
function within(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within acquireTimeoutMs (${ms} ms)`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * A limiter for `config.limiter`, shared through Redis.
 * @param {{ url?: string, client?: object, redisOptions?: object, rate?: number, windowMs?: number, staleMs?: number, acquireTimeoutMs?: number, prefix?: string }} [options]
 *   url: `redis[s]://[[user]:password@]host[:port][/db]` (default redis://127.0.0.1:6379), through ioredis;
 *   client: an ioredis or node-redis client you own (then `close()` leaves it open);
 *   redisOptions: more ioredis options for `url` (e.g. `{ tls: { ca } }` for a private CA);
 *   rate: requests per window when the client does not say (it passes its `rateLimit`);
 *   windowMs: the vendor's counting window (default 1000);
 *   staleMs: after this long an unreleased permit counts as released (default 30000);
 *   acquireTimeoutMs: the longest any Redis command may take (default 5000).
 */
function createRedisLimiter(options = {}) {
  const windowMs = options.windowMs ?? 1000;
  const staleMs = options.staleMs ?? 30_000;
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 5000;
  if (!(windowMs > 0 && staleMs > 0 && acquireTimeoutMs > 0))
    throw new RangeError("createRedisLimiter: windowMs, staleMs and acquireTimeoutMs must be above 0");
  const owned = !options.client;
  const url = owned ? new URL(options.url ?? "redis://127.0.0.1:6379") : undefined;
  const client = options.client ?? connect(url, options.redisOptions);
  const command = commandsOf(client);
  const prefix = options.prefix ?? "";
  const shas = new Map();
  // Per key, in this process: permits out now, and the most that ever were (see `one`).
  const connections = new Map();

  async function run(script, keys, args) {
    const ask = (what, args) => within(Promise.resolve(command(args)), acquireTimeoutMs, what);
    if (!shas.has(script)) shas.set(script, await ask("SCRIPT LOAD", ["SCRIPT", "LOAD", script]));
    const evalsha = () => ask("EVALSHA", ["EVALSHA", shas.get(script), String(keys.length), ...keys, ...args.map(String)]);
    try {
      return await evalsha();
    } catch (error) {
      // A restarted (or flushed) Redis has forgotten the scripts.
      if (!String(error?.message).includes("NOSCRIPT")) throw error;
      shas.set(script, await ask("SCRIPT LOAD", ["SCRIPT", "LOAD", script]));
      return evalsha();
    }
  }

  async function one(key, rate) {
    // N whole permits per window, as the in-process pacing does: a fraction rounds down
    // (2.5/s sends 2 per second) and a rate below 1 stretches the window (0.5/s: 1 per 2 s).
    const n = Math.max(1, Math.floor(rate));
    const windowUs = Math.ceil(windowMs * 1000 * Math.max(1, n / rate));
    const intervalUs = Math.ceil(windowUs / n);
    const keys = SUFFIXES.map((suffix) => `${prefix}{${key}}:${suffix}`);
    const limits = [n, windowUs, staleMs * 1000];
    let [seq, waitMs, slotMs] = (await run(ACQUIRE, keys, [intervalUs, ...limits, Math.ceil((staleMs + windowMs) / 1000) * 4])).map(Number);
    while (waitMs < 0 || waitMs > RECHECK_MS) {
      await sleep(waitMs < 0 ? Math.max(POLL_MS, slotMs) : waitMs - RECHECK_MS);
      [, waitMs, slotMs] = (await run(CHECK, keys, [seq, ...limits])).map(Number);
    }
    if (waitMs > 0) await sleep(waitMs);
    // Whether a connection this process opened before was idle for the request: fewer of
    // its permits were out than at its busiest. If not, its round trip includes handshakes.
    const pool = connections.get(key) ?? { out: 0, most: 0 };
    connections.set(key, pool);
    const warm = pool.out < pool.most;
    pool.out += 1;
    pool.most = Math.max(pool.most, pool.out);
    let released = false;
    return (answered) => {
      if (!released) pool.out -= 1;
      released = true;
      return run(RELEASE, keys, [seq, answered ? 1 : 0, warm ? 1 : 0]).catch(() => {});
    };
  }

  return {
    /** Resolves with the permit once `permits` requests may go for `key`; release it after. */
    async acquire(key, permits = 1, details = {}) {
      const rate = details.rate ?? options.rate;
      if (!(rate > 0)) throw new RangeError("the Redis limiter needs a rate: give createRedisLimiter({ rate }) or a client rateLimit");
      const releases = [];
      for (let i = 0; i < permits; i++) releases.push(await one(key, rate));
      // `release({ answered })`: answered (a response came back) unless it says false.
      return { release: (outcome = {}) => Promise.all(releases.map((release) => release(outcome.answered !== false))) };
    },
    /** Closes the connection this limiter opened (not a `client` you passed). */
    close() {
      if (owned) client.disconnect();
    },
    /** What `JSON.stringify` prints: no password. */
    toJSON() {
      const where = url ? { host: url.hostname, port: Number(url.port || 6379), tls: url.protocol === "rediss:" } : { client: "yours" };
      return { limiter: "redis", ...where, windowMs, staleMs, acquireTimeoutMs };
    },
  };
}

module.exports = { createRedisLimiter };

// improfiles/redis-limiter: one rate budget shared by every process that uses the same
// vendor account, kept in Redis. Pass it as `config.limiter`; the client then asks it for a
// permit before every request instead of pacing itself, and hands the permit back when the
// request has ended.
//
// Vendors count requests by arrival, and arrival follows the grant by a latency that varies,
// so spacing grants evenly is not enough to keep every 1-second window at the vendor within
// the rate. The rule is the client's own in-process one (src/pacing.rs explains it), made
// shared: permit k goes a window after permit k−N (N = the rate) was released, less the floor
// of the round trip — the shortest grant-to-release time seen lately on this key, less a
// margin that shrinks with the number of samples. A request arrives no later than its release
// minus the shortest way back, and no earlier than its grant plus the shortest way out, so
// every window at the vendor holds at most N, paying for latency *variation*, not latency. A
// permit released without an answer (`release({ answered: false })`: a timeout, a network
// error) earns no credit: the causal rule, a full window after its release. On top, grants
// follow a GCRA schedule (as redis-cell and API gateways do) so that they are spread evenly.
//
// Every step is one Lua script run atomically on Redis's own clock. A permit that is never
// released (its process died) counts as released after `staleMs`. No dependency: it speaks
// RESP (the Redis protocol) over node:net itself.
"use strict";

const net = require("node:net");
const { setTimeout: sleep } = require("node:timers/promises");

// As src/pacing.rs: the least margin under the observed floor (clocks tick in milliseconds),
// and how many round trips the floor is taken over.
const MIN_MARGIN_US = 3000;
const ROUND_TRIPS_KEPT = 256;

// Shared by the scripts: the time now (µs); what the model may credit of a round trip (µs);
// and when permit `seq` may go (µs), or -1 while the permit it depends on is still out.
const COMMON = `
local base = KEYS[1]
local n = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local stale = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function credit()
  local trips = redis.call('LRANGE', base .. ':rtt', 0, -1)
  local count = #trips
  if count == 0 then return 0 end
  local sorted = {}
  for i, v in ipairs(trips) do sorted[i] = tonumber(v) end
  table.sort(sorted)
  local floor = sorted[1]
  local high = sorted[math.floor((count - 1) * 9 / 10) + 1]
  local margin = ${MIN_MARGIN_US} + 2 * (high - floor) / math.sqrt(count)
  return math.max(0, floor - margin)
end
local function ready_at(seq)
  local at = tonumber(redis.call('HGET', base .. ':granted', seq) or '0')
  local dep = seq - n
  if dep < 1 then return at end
  local done = redis.call('HGET', base .. ':released', dep)
  if done then
    local own = redis.call('HGET', base .. ':rtt_of', dep)
    local credited = own and math.min(credit(), tonumber(own)) or 0
    return math.max(at, tonumber(done) + window - credited)
  end
  local sent = redis.call('HGET', base .. ':granted', dep)
  if not sent then return at end
  if now - tonumber(sent) > stale then return math.max(at, tonumber(sent) + stale + window) end
  return -1
end
local function answer(seq)
  local at = ready_at(seq)
  if at < 0 then
    local slot = tonumber(redis.call('HGET', base .. ':granted', seq) or '0')
    return {seq, -1, math.max(0, math.ceil((slot - now) / 1000))}
  end
  redis.call('HSET', base .. ':sent', seq, string.format('%.0f', math.max(at, now)))
  return {seq, math.max(0, math.ceil((at - now) / 1000))}
end
`;

// ARGV: interval µs, n, window µs, stale µs, keep seconds
const ACQUIRE = `${COMMON}
local interval = tonumber(ARGV[1])
local keep = tonumber(ARGV[5])
local seq = redis.call('INCR', base .. ':seq')
local tat = tonumber(redis.call('GET', base .. ':tat') or '0')
if tat < now then tat = now end
redis.call('SET', base .. ':tat', string.format('%.0f', tat + interval), 'EX', keep)
redis.call('HSET', base .. ':granted', seq, string.format('%.0f', tat))
for _, suffix in ipairs({':granted', ':released', ':sent', ':rtt_of'}) do redis.call('HDEL', base .. suffix, seq - 4 * n) end
for _, suffix in ipairs({':seq', ':granted', ':released', ':sent', ':rtt_of', ':rtt'}) do redis.call('EXPIRE', base .. suffix, keep) end
return answer(seq)
`;

// ARGV[1]: the permit's seq (then as above)
const CHECK = `${COMMON}
return answer(tonumber(ARGV[1]))
`;

// ARGV[1]: the permit's seq; ARGV[2]: 1 when its request was answered
const RELEASE = `
local base = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('HSET', base .. ':released', ARGV[1], string.format('%.0f', now))
local sent = redis.call('HGET', base .. ':sent', ARGV[1])
if ARGV[2] == '1' and sent then
  local rtt = string.format('%.0f', math.max(0, now - tonumber(sent)))
  redis.call('HSET', base .. ':rtt_of', ARGV[1], rtt)
  redis.call('LPUSH', base .. ':rtt', rtt)
  redis.call('LTRIM', base .. ':rtt', 0, ${ROUND_TRIPS_KEPT - 1})
end
return 1
`;

/** While the permit depended on is out, ask again this often (or at its GCRA slot, if later). */
const POLL_MS = 5;

/** A minimal RESP2 connection: commands are pipelined, replies matched in order. */
class RespConnection {
  constructor({ host, port, password, db }) {
    this.pending = [];
    this.buffer = Buffer.alloc(0);
    this.socket = net.createConnection({ host, port });
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("error", reject);
    });
    this.socket.on("data", (chunk) => this.receive(chunk));
    this.socket.on("error", (error) => this.failAll(error));
    this.socket.on("close", () => this.failAll(new Error("the Redis connection closed")));
    this.setup = [];
    if (password) this.setup.push(this.command(["AUTH", password]));
    if (db) this.setup.push(this.command(["SELECT", String(db)]));
  }

  command(args) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      let out = `*${args.length}\r\n`;
      for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
      this.socket.write(out);
    });
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const parsed = parseReply(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const waiter = this.pending.shift();
      if (!waiter) continue;
      if (parsed.value instanceof Error) waiter.reject(parsed.value);
      else waiter.resolve(parsed.value);
    }
  }

  failAll(error) {
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }

  close() {
    this.socket.end();
  }
}

/** One RESP2 reply starting at `at`, or undefined when more bytes are needed. */
function parseReply(buffer, at) {
  const lineEnd = buffer.indexOf("\r\n", at);
  if (lineEnd < 0) return undefined;
  const kind = String.fromCharCode(buffer[at]);
  const line = buffer.toString("utf8", at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new Error(`Redis: ${line}`), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      const values = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, end);
        if (!item) return undefined;
        values.push(item.value);
        end = item.end;
      }
      return { value: count < 0 ? null : values, end };
    }
    default:
      throw new Error(`unexpected Redis reply type ${JSON.stringify(kind)}`);
  }
}

/**
 * A limiter for `config.limiter`, shared through Redis.
 * @param {{ url?: string, rate?: number, windowMs?: number, staleMs?: number, prefix?: string }} [options]
 *   url: `redis://[:password@]host[:port][/db]` (default redis://127.0.0.1:6379);
 *   rate: requests per window when the client does not say (it passes its `rateLimit`);
 *   windowMs: the vendor's counting window (default 1000);
 *   staleMs: after this long an unreleased permit counts as released (default 30000).
 */
function createRedisLimiter(options = {}) {
  const url = new URL(options.url ?? "redis://127.0.0.1:6379");
  if (url.protocol !== "redis:") throw new TypeError("createRedisLimiter: url must start with redis://");
  const windowMs = options.windowMs ?? 1000;
  const staleMs = options.staleMs ?? 30_000;
  if (!(windowMs > 0 && staleMs > 0)) throw new RangeError("createRedisLimiter: windowMs and staleMs must be above 0");
  const connection = new RespConnection({
    host: url.hostname || "127.0.0.1",
    port: Number(url.port || 6379),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
  });
  const shas = new Map();

  async function run(script, key, args) {
    await connection.ready;
    await Promise.all(connection.setup);
    if (!shas.has(script)) shas.set(script, await connection.command(["SCRIPT", "LOAD", script]));
    const command = () => connection.command(["EVALSHA", shas.get(script), "1", `${options.prefix ?? ""}${key}`, ...args.map(String)]);
    try {
      return await command();
    } catch (error) {
      if (!String(error.message).includes("NOSCRIPT")) throw error;
      shas.set(script, await connection.command(["SCRIPT", "LOAD", script]));
      return command();
    }
  }

  async function one(key, rate) {
    // N whole permits per window, as the in-process pacing does: a fraction rounds down
    // (2.5/s sends 2 per second) and a rate below 1 stretches the window (0.5/s: 1 per 2 s).
    const n = Math.max(1, Math.floor(rate));
    const windowUs = Math.ceil(windowMs * 1000 * Math.max(1, n / rate));
    const intervalUs = Math.ceil(windowUs / n);
    const limits = [n, windowUs, staleMs * 1000];
    let [seq, waitMs, slotMs] = await run(ACQUIRE, key, [intervalUs, ...limits, Math.ceil((staleMs + windowMs) / 1000) * 4]);
    while (waitMs < 0) {
      await sleep(Math.max(POLL_MS, slotMs));
      [, waitMs, slotMs] = await run(CHECK, key, [seq, ...limits]);
    }
    if (waitMs > 0) await sleep(waitMs);
    return (answered) => run(RELEASE, key, [seq, answered ? 1 : 0]).catch(() => {});
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
    close() {
      connection.close();
    },
    toJSON() {
      return { limiter: "redis", host: url.hostname, port: Number(url.port || 6379), windowMs, staleMs };
    },
  };
}

module.exports = { createRedisLimiter };

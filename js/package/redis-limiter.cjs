// improfiles/redis-limiter: one rate budget shared by every process that uses the same
// vendor account, kept in Redis. Pass it as `config.limiter`; the client then asks it for a
// permit before every request instead of pacing itself, and hands the permit back when the
// request has ended.
//
// Vendors count requests by arrival, and arrival follows the grant by a latency that varies
// (a process's first requests also open connections), so spacing grants evenly is not enough
// to keep every 1-second window at the vendor within the rate. The rule used is the client's
// own in-process one, made shared: permit k is granted only once permit k−N (N = the rate)
// has been released, and a full window after that release. A request arrives before it is
// released and after it is granted, so any N+1 requests span more than a window at the
// vendor, whatever the latency. On top, grants follow a GCRA schedule (as redis-cell and API
// gateways do) so that they are spread evenly instead of going in bursts of N.
//
// Every step is one Lua script run atomically on Redis's own clock. A permit that is never
// released (its process died) counts as released after `staleMs`. No dependency: it speaks
// RESP (the Redis protocol) over node:net itself.
"use strict";

const net = require("node:net");
const { setTimeout: sleep } = require("node:timers/promises");

// Shared by the scripts: the time now (µs), and when permit `seq` may go (µs), or -1 while
// the permit it depends on is still out.
const COMMON = `
local base = KEYS[1]
local n = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local stale = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function ready_at(seq)
  local at = tonumber(redis.call('HGET', base .. ':granted', seq) or '0')
  local dep = seq - n
  if dep < 1 then return at end
  local done = redis.call('HGET', base .. ':released', dep)
  if done then return math.max(at, tonumber(done) + window) end
  local sent = redis.call('HGET', base .. ':granted', dep)
  if not sent then return at end
  if now - tonumber(sent) > stale then return math.max(at, tonumber(sent) + stale + window) end
  return -1
end
local function answer(seq)
  local at = ready_at(seq)
  if at < 0 then return {seq, -1} end
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
redis.call('HDEL', base .. ':granted', seq - 4 * n)
redis.call('HDEL', base .. ':released', seq - 4 * n)
for _, suffix in ipairs({':seq', ':granted', ':released'}) do redis.call('EXPIRE', base .. suffix, keep) end
return answer(seq)
`;

// ARGV[1]: the permit's seq (then as above)
const CHECK = `${COMMON}
return answer(tonumber(ARGV[1]))
`;

const RELEASE = `
local t = redis.call('TIME')
redis.call('HSET', KEYS[1] .. ':released', ARGV[1], string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2])))
return 1
`;

/** While the permit depended on is out, ask again this often. */
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
    let [seq, waitMs] = await run(ACQUIRE, key, [intervalUs, ...limits, Math.ceil((staleMs + windowMs) / 1000) * 4]);
    while (waitMs < 0) {
      await sleep(POLL_MS);
      [, waitMs] = await run(CHECK, key, [seq, ...limits]);
    }
    if (waitMs > 0) await sleep(waitMs);
    return () => run(RELEASE, key, [seq]).catch(() => {});
  }

  return {
    /** Resolves with the permit once `permits` requests may go for `key`; release it after. */
    async acquire(key, permits = 1, details = {}) {
      const rate = details.rate ?? options.rate;
      if (!(rate > 0)) throw new RangeError("the Redis limiter needs a rate: give createRedisLimiter({ rate }) or a client rateLimit");
      const releases = [];
      for (let i = 0; i < permits; i++) releases.push(await one(key, rate));
      return { release: () => Promise.all(releases.map((release) => release())) };
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

// config.limiter: a rate budget shared by several processes, and the Redis limiter shipped
// as improfiles/redis-limiter, against a real redis-server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { createRedisLimiter } from "improfiles/redis-limiter";

import { busiestSecond, startEmulator } from "./helpers/emulator.mjs";
import { startRedis } from "./helpers/redis.mjs";
import { APP_KEY, rongcloud } from "./helpers/rongcloud.mjs";

let emulator;
let redis;
before(async () => {
  [emulator, redis] = await Promise.all([startEmulator({ size: 100_000 }), startRedis()]);
});
after(() => Promise.all([emulator.stop(), redis.stop()]));

const ids = (first, count) => Array.from({ length: count }, (_, i) => `u${first + i}`);

test("a limiter replaces the in-process pacing: one permit per request, keyed by vendor and account", async () => {
  await emulator.reset();
  const calls = [];
  const limiter = { acquire: async (key, permits, details) => void calls.push({ key, permits, rate: details.rate }) };
  // rateLimit 2 would take 15 s in process; the limiter grants at once.
  const started = Date.now();
  const result = await rongcloud(emulator, { limiter, rateLimit: 2 }).getProfiles(ids(1, 3000));
  assert.equal(result.profiles.length, 3000);
  assert.equal(calls.length, result.stats.requests);
  assert.deepEqual(calls[0], { key: `improfiles:rongcloud:${APP_KEY}`, permits: 1, rate: 2 });
  assert.ok(Date.now() - started < 10_000, "the in-process rate of 2/s did not apply");

  const keyed = [];
  await rongcloud(emulator, { limiter: { acquire: (key) => void keyed.push(key) }, limiterKey: "tenant-7" }).getProfiles(["u1"]);
  assert.deepEqual(keyed, ["tenant-7"]);
});

test("a failing limiter rejects the call, retryable; a malformed one is a config error", async () => {
  await emulator.reset();
  const failing = { acquire: async () => { throw new Error("ECONNREFUSED 127.0.0.1:6379"); } };
  await assert.rejects(rongcloud(emulator, { limiter: failing }).getProfiles(ids(1, 10)), (error) => {
    assert.equal(error.code, "network");
    assert.equal(error.retryable, true);
    assert.match(error.message, /limiter\.acquire failed: .*ECONNREFUSED/);
    return true;
  });
  assert.equal((await emulator.log()).length, 0, "nothing sent without a permit");
  for (const limiter of [{}, { acquire: "soon" }, 5]) {
    assert.throws(() => rongcloud(emulator, { limiter }), (e) => e.code === "invalid_config");
  }
  assert.throws(() => rongcloud(emulator, { limiter: { acquire() {} }, limiterKey: "" }), (e) => e.code === "invalid_config");
});

test("the Redis limiter keeps the vendor's window even when latency jumps about", async () => {
  await emulator.reset();
  const limiter = createRedisLimiter({ url: redis.url, prefix: "single:" });
  // Up to 150 ms extra on the way out, different for every request: evenly spaced grants
  // would bunch up at the vendor; permits that wait for releases cannot.
  let n = 0;
  const fetch = async (url, init) => {
    await new Promise((resolve) => setTimeout(resolve, ((n++ * 7919) % 16) * 10));
    return globalThis.fetch(url, init);
  };
  const result = await rongcloud(emulator, { limiter, rateLimit: 50, fetch, concurrency: 16 }).getProfiles(ids(1, 10_000));
  limiter.close();
  assert.equal(result.profiles.length, 10_000);
  const log = await emulator.log();
  assert.ok(busiestSecond(log) <= 50, `busiest second ${busiestSecond(log)}`);
  assert.deepEqual(JSON.parse(JSON.stringify(limiter)), { limiter: "redis", host: "127.0.0.1", port: Number(new URL(redis.url).port), windowMs: 1000, staleMs: 30_000 });
});

test("a permit never released (its process died) holds its successor only until staleMs", async () => {
  const limiter = createRedisLimiter({ url: redis.url, prefix: "stale:", staleMs: 300 });
  const started = Date.now();
  await limiter.acquire("k", 1, { rate: 2 });
  await limiter.acquire("k", 1, { rate: 2 });
  const third = await limiter.acquire("k", 1, { rate: 2 }); // depends on the first, never released
  const waited = Date.now() - started;
  await third.release();
  limiter.close();
  assert.ok(waited >= 1300, `granted after ${waited} ms, before the stale permit's 300 ms + the window`);
});

test("4 processes on one app key through Redis: no 1-second window over 100, together at least 95 requests/s", async () => {
  await emulator.reset();
  const worker = fileURLToPath(new URL("./helpers/limiter-worker.mjs", import.meta.url));
  const perWorker = 25_000; // 250 requests each, 1,000 in all: about 10 s at 100/s
  const runs = [0, 1, 2, 3].map(
    (w) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [worker, emulator.url, redis.url, String(1 + w * perWorker), String(perWorker)], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (c) => (out += c));
        child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${w} exited with ${code}`))));
      }),
  );
  const stats = await Promise.all(runs);
  assert.ok(stats.every((s) => s.profiles === perWorker && s.failures === 0));
  const log = await emulator.log();
  assert.equal(log.length, 1000, "no retries: nothing was rejected");
  assert.ok(log.every((e) => e.status === 200));
  const busiest = busiestSecond(log);
  const span = (log.at(-1).at - log[0].at) / 1000;
  const rate = (log.length - 1) / span;
  console.log(`# 4 processes through Redis: ${log.length} requests in ${span.toFixed(2)} s = ${rate.toFixed(1)} requests/s, busiest 1-s window ${busiest}`);
  assert.ok(busiest <= 100, `busiest second ${busiest}`);
  assert.ok(rate >= 95, `${rate.toFixed(1)} requests/s`);
});

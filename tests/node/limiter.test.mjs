// config.limiter: a rate budget shared by several processes, and the Redis limiter shipped
// as improfiles/redis-limiter, against a real redis-server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { createRedisLimiter } from "improfiles/redis-limiter";

import { atDistance } from "../../bench/rate.mjs";
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
  // rateLimit 2 would hold the 30 requests for 15 s in process; the limiter grants at once,
  // so all of them arrive within one second at the emulator.
  const result = await rongcloud(emulator, { limiter, rateLimit: 2 }).getProfiles(ids(1, 3000));
  assert.equal(result.profiles.length, 3000);
  assert.equal(calls.length, result.stats.requests);
  assert.deepEqual(calls[0], { key: `improfiles:rongcloud:${APP_KEY}`, permits: 1, rate: 2 });
  assert.ok(busiestSecond(await emulator.log()) > 2, "the in-process rate of 2/s did not apply");

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
  const first = await limiter.acquire("k", 1, { rate: 2 });
  await limiter.acquire("k", 1, { rate: 2 }); // never released
  await first.release();
  // The third depends on the first (released), the fourth on the second: granted only once
  // the second counts as stale. Either way the wait ends.
  await (await limiter.acquire("k", 1, { rate: 2 })).release();
  await (await limiter.acquire("k", 1, { rate: 2 })).release();
  limiter.close();
});

/** Runs `processes` workers sharing one RongCloud app key through Redis; returns their stats. */
function sharedRun(processes, perWorker, prefix) {
  const worker = fileURLToPath(new URL("./helpers/limiter-worker.mjs", import.meta.url));
  return Promise.all(
    Array.from(
      { length: processes },
      (_, w) =>
        new Promise((resolve, reject) => {
          const args = [worker, emulator.url, redis.url, String(1 + w * perWorker), String(perWorker), prefix];
          const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
          let out = "";
          child.stdout.on("data", (c) => (out += c));
          child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${w} exited with ${code}`))));
        }),
    ),
  );
}

for (const [processes, latencyMs, jitterMs] of [
  [4, 0, 0],
  [2, 200, 20],
  [4, 200, 20],
]) {
  test(`${processes} processes on one app key through Redis at ${latencyMs} ± ${jitterMs} ms: no 1-second window over 100, nothing refused`, async () => {
    const perWorker = 20_000; // 200 requests each
    const seen = await atDistance(emulator, { vendor: "rongcloud", latencyMs, jitterMs }, () => sharedRun(processes, perWorker, `shared-${processes}-${latencyMs}:`));
    assert.ok(seen.result.every((s) => s.profiles === perWorker && s.failures === 0));
    assert.equal(seen.requests, processes * 200, "no retries: nothing was refused");
    assert.equal(seen.refused, 0);
    assert.ok(seen.busiest <= 100, `busiest second ${seen.busiest}`);
    console.log(`# ${processes} processes through Redis at ${latencyMs} ms: ${seen.requests} requests, ${seen.rate.toFixed(1)} requests/s by arrival (a figure, not asserted), busiest 1-s window ${seen.busiest}`);
  });
}

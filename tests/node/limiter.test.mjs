// config.limiter: a rate budget shared by several processes, and the Redis limiter shipped
// as improfiles/redis-limiter, against a real redis-server.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { createRedisLimiter } from "improfiles/redis-limiter";

import { atDistance } from "../../bench/rate.mjs";
import { accountingErrors, busiestSecond, startEmulator } from "improfiles-emulator";
import { localhostCertificate } from "./helpers/certificate.mjs";
import { startRedis } from "./helpers/redis.mjs";
import { APP_KEY, rongcloud } from "./helpers/rongcloud.mjs";

const _run = promisify(execFile);
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

test("a failing limiter fails its attempts as retryable network failures, sends nothing, and the call goes on", async () => {
  await emulator.reset();
  const failing = {
    acquire: async () => {
      throw new Error("ECONNREFUSED 127.0.0.1:6379");
    },
  };
  const result = await rongcloud(emulator, { limiter: failing, retries: 1 }).getProfiles(ids(1, 10));
  assert.equal(result.failures.length, 10);
  for (const failure of result.failures) {
    assert.equal(failure.code, "network");
    assert.equal(failure.retryable, true);
    assert.match(failure.message, /limiter\.acquire failed: .*ECONNREFUSED/);
  }
  assert.equal((await emulator.log()).length, 0, "nothing sent without a permit");
  for (const limiter of [{}, { acquire: "soon" }, 5]) {
    assert.throws(
      () => rongcloud(emulator, { limiter }),
      (e) => e.code === "invalid_config",
    );
  }
  assert.throws(
    () => rongcloud(emulator, { limiter: { acquire() {} }, limiterKey: "" }),
    (e) => e.code === "invalid_config",
  );
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
  assert.deepEqual(JSON.parse(JSON.stringify(limiter)), {
    limiter: "redis",
    host: "127.0.0.1",
    port: redis.port,
    tls: false,
    windowMs: 1000,
    staleMs: 30_000,
    acquireTimeoutMs: 5000,
  });
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

// The last row starts cold, as against a real vendor over TLS: every request that finds no
// idle connection opens one and pays two more round trips (TCP, TLS 1.3) on its way out.
for (const [processes, latencyMs, jitterMs, handshakeRoundTrips = 0] of [
  [4, 0, 0],
  [2, 200, 20],
  [4, 200, 20],
  [2, 500, 50, 2],
]) {
  const cold = handshakeRoundTrips ? ", from a cold start" : "";
  test(`${processes} processes on one app key through Redis at ${latencyMs} ± ${jitterMs} ms${cold}: no 1-second window over 100, nothing refused`, async () => {
    const perWorker = 20_000; // 200 requests each
    const seen = await atDistance(emulator, { vendor: "rongcloud", latencyMs, jitterMs, handshakeRoundTrips }, () =>
      sharedRun(processes, perWorker, `shared-${processes}-${latencyMs}:`),
    );
    assert.ok(seen.result.every((s) => s.profiles === perWorker && s.failures === 0));
    // What the vendor saw: nothing refused. A retry can still come from this side (a request
    // or a permit slower than its timeout on a loaded machine); each one the vendor saw is
    // one the workers counted.
    assert.equal(seen.refused, 0);
    const retries = seen.result.reduce((sum, s) => sum + s.retries, 0);
    assert.equal(seen.requests, processes * 200 + retries, "every request the vendor saw was planned or a counted retry");
    assert.ok(seen.busiest <= 100, `busiest second ${seen.busiest}`);
    console.log(
      `# ${processes} processes through Redis at ${latencyMs} ms: ${seen.requests} requests, ${seen.rate.toFixed(1)} requests/s by arrival (a figure, not asserted), busiest 1-s window ${seen.busiest}`,
    );
  });
}

test("Redis killed and restarted mid-call: the call settles within 40 s, every id once, failures only retryable, the next call works", {
  timeout: 40_000,
}, async () => {
  const own = await startRedis();
  await emulator.reset();
  const limiter = createRedisLimiter({ url: own.url, prefix: "crash:", acquireTimeoutMs: 1000 });
  const client = rongcloud(emulator, { limiter, rateLimit: 10 });
  const asked = ids(1, 3000); // 30 requests at 10/s: 3 s
  const call = client.getProfiles(asked);
  await new Promise((resolve) => setTimeout(resolve, 800));
  await own.kill();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await own.restart();
  const result = await call;
  assert.deepEqual(accountingErrors(asked, result), []);
  assert.ok(
    result.failures.every((f) => f.retryable && f.code === "network"),
    JSON.stringify(result.failures.slice(0, 2)),
  );
  console.log(
    `# Redis killed for 1.5 s mid-call: ${result.profiles.length} profiles, ${result.failures.length} retryable failures, ${result.stats.retries} retries`,
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // ioredis reconnects on its own
  const next = await client.getProfiles(ids(5001, 100));
  assert.equal(next.profiles.length, 100, "calls work again once Redis is back");
  limiter.close();
  await own.stop();
});

test("a node-redis client of your own, keys in one hash slot, and a Redis that never answers", { timeout: 30_000 }, async () => {
  const { createClient } = await import("redis");
  const client = createClient({ url: redis.url });
  await client.connect();
  const limiter = createRedisLimiter({ client, prefix: "node-redis:" });
  await emulator.reset();
  const result = await rongcloud(emulator, { limiter }).getProfiles(ids(1, 500));
  assert.equal(result.profiles.length, 500);
  const keys = await client.keys("node-redis:*");
  assert.ok(keys.length >= 5 && keys.every((k) => k.startsWith(`node-redis:{improfiles:rongcloud:${APP_KEY}}:`)), keys.join(" "));
  limiter.close();
  assert.equal(await client.ping(), "PONG", "close() leaves a client you own open");
  await client.quit();

  // A server that accepts connections and never answers: each permit request gives up.
  const { createServer } = await import("node:net");
  const silent = createServer(() => {});
  await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const mute = createRedisLimiter({ url: `redis://127.0.0.1:${silent.address().port}`, acquireTimeoutMs: 300 });
  await assert.rejects(mute.acquire("k", 1, { rate: 10 }), /acquireTimeoutMs/);
  mute.close();
  silent.close();
});

test("rediss:// (TLS) and an ACL user in the URL", { timeout: 30_000 }, async () => {
  const { cert, key } = await localhostCertificate();
  const secure = await startRedis({ tls: { cert, key } });
  try {
    const tls = createRedisLimiter({ url: secure.url, redisOptions: { tls: { ca: readFileSync(cert) } } });
    await emulator.reset();
    const result = await rongcloud(emulator, { limiter: tls }).getProfiles(ids(1, 300));
    assert.equal(result.profiles.length, 300);
    assert.equal(JSON.parse(JSON.stringify(tls)).tls, true);
    tls.close();
  } finally {
    await secure.stop();
  }

  const { default: Redis } = await import("ioredis");
  const admin = new Redis(redis.url);
  await admin.call("ACL", "SETUSER", "limiter", "on", ">s3cret", "~*", "+@all");
  const acl = createRedisLimiter({ url: `redis://limiter:s3cret@127.0.0.1:${redis.port}`, prefix: "acl:" });
  const granted = await acl.acquire("k", 1, { rate: 10 });
  await granted.release();
  assert.ok(!JSON.stringify(acl).includes("s3cret"));
  acl.close();
  const wrong = createRedisLimiter({ url: `redis://limiter:wrong@127.0.0.1:${redis.port}`, acquireTimeoutMs: 2000 });
  await assert.rejects(wrong.acquire("k", 1, { rate: 10 }));
  wrong.close();
  admin.disconnect();
});

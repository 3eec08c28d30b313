// A directory-sized run in bounded memory: with `collect: false` the call keeps only the
// work in flight, and an `onBatch` that returns a promise holds new requests back until it
// settles (backpressure), so a slow writer never makes memory grow.
import assert from "node:assert/strict";
import { createReadStream, createWriteStream, mkdirSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";

import { startEmulator } from "./helpers/emulator.mjs";
import { rongcloud } from "./helpers/rongcloud.mjs";

const MILLION = 1_000_000;
let emulator;
before(async () => {
  emulator = await startEmulator({ size: MILLION });
  await emulator.limits({ enforce: false });
});
after(() => emulator.stop());

test("no request starts while the promise onBatch returned is pending", async () => {
  let pending = 0;
  let startedWhilePending = 0;
  let calls = 0;
  const fetch = (url, init) => {
    calls++;
    if (pending > 0) startedWhilePending++;
    return globalThis.fetch(url, init);
  };
  const ids = Array.from({ length: 3000 }, (_, i) => `u${i + 1}`);
  const result = await rongcloud(emulator, { fetch, concurrency: 4 }).getProfiles(ids, {
    collect: false,
    onBatch: async () => {
      pending++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      pending--;
    },
  });
  assert.equal(result.stats.profiles, 3000);
  assert.deepEqual(result.profiles, []);
  assert.equal(calls, 30);
  assert.equal(startedWhilePending, 0);
});

test("a rejected onBatch promise rejects the call", async () => {
  const client = rongcloud(emulator);
  await assert.rejects(
    client.getProfiles(["u1", "u2"], { onBatch: () => Promise.reject(new Error("disk full")) }),
    /disk full/,
  );
  assert.equal((await client.getProfiles(["u3"])).profiles.length, 1, "the client still works");
});

test("1,000,000 ids with collect: false and a JSON-lines writer: every id in the file, memory bounded", async () => {
  global.gc?.();
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const timer = setInterval(sample, 50);
  mkdirSync(new URL("../output/", import.meta.url), { recursive: true });
  const path = new URL("../output/million.jsonl", import.meta.url);
  const out = createWriteStream(path);
  const ids = Array.from({ length: MILLION }, (_, i) => `u${i + 1}`);
  const beforeCall = process.memoryUsage().rss;
  const started = performance.now();
  const result = await rongcloud(emulator, { rateLimit: 100_000, concurrency: 8 }).getProfiles(ids, {
    collect: false,
    onBatch: async ({ profiles, failures }) => {
      let text = "";
      for (const p of profiles) text += `${JSON.stringify({ id: p.id, name: p.name })}\n`;
      for (const f of failures) text += `${JSON.stringify({ id: f.id, code: f.code })}\n`;
      if (!out.write(text)) await once(out, "drain");
      sample();
    },
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  out.end();
  await once(out, "finish");
  assert.deepEqual([result.profiles.length, result.failures.length], [0, 0]);
  assert.equal(result.stats.profiles + result.stats.failures, MILLION);

  const seen = new Set();
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(path) })) {
    seen.add(JSON.parse(line).id);
    lines++;
  }
  assert.equal(lines, MILLION, "one line per id");
  assert.equal(seen.size, MILLION, "every id exactly once");
  const growthMb = (peakRss - startRss) / 2 ** 20;
  const callMb = (peakRss - beforeCall) / 2 ** 20;
  console.log(`# 1,000,000 ids: ${result.stats.requests} requests in ${seconds.toFixed(1)} s; peak RSS growth ${growthMb.toFixed(0)} MB over the start, ${callMb.toFixed(0)} MB of it during the call (the rest is the ids array)`);
  // A regression guard far above the measured figure, not a benchmark: unbounded growth
  // (results kept, or requests racing ahead of the writer) would be gigabytes.
  assert.ok(growthMb < 400, `peak RSS grew by ${growthMb.toFixed(0)} MB`);
});

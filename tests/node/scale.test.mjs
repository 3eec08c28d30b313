// A directory-sized run in bounded memory: with `collect: false` the call keeps only the
// work in flight, and an `onBatch` that returns a promise holds new requests back until it
// settles (backpressure), so a slow writer never makes memory grow.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";

import { startEmulator } from "improfiles-emulator";
import { rongcloud } from "./helpers/rongcloud.mjs";

const MILLION = 1_000_000;
const run = promisify(execFile);
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
  await assert.rejects(client.getProfiles(["u1", "u2"], { onBatch: () => Promise.reject(new Error("disk full")) }), /disk full/);
  assert.equal((await client.getProfiles(["u3"])).profiles.length, 1, "the client still works");
});

test("1,000,000 ids with collect: false and a JSON-lines writer: every id in the file, memory bounded", async () => {
  mkdirSync(new URL("../output/", import.meta.url), { recursive: true });
  const script = fileURLToPath(new URL("../../bench/million.mjs", import.meta.url));
  const out = fileURLToPath(new URL("../output/million.jsonl", import.meta.url));
  const { stdout } = await run(process.execPath, [script, emulator.url, out]);
  const figures = JSON.parse(stdout);
  assert.equal(figures.settled, MILLION);
  assert.equal(figures.collected, 0, "collect: false keeps nothing");
  assert.equal(figures.lines, MILLION, "one line per id");
  assert.equal(figures.distinct, MILLION, "every id exactly once");
  console.log(
    `# 1,000,000 ids: ${figures.requests} requests in ${figures.seconds} s; peak RSS growth ${figures.growthMb} MB over the start, ${figures.callMb} MB of it during the call (the rest is the ids array)`,
  );
  // A regression guard far above the measured figure, not a benchmark: unbounded growth
  // (results kept, or requests racing ahead of the writer) would be gigabytes.
  assert.ok(figures.growthMb < 400, `peak RSS grew by ${figures.growthMb} MB`);
});

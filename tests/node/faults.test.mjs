// Injected faults: every id is still accounted for exactly once, and transient faults end
// as profiles once they clear.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { accountingErrors, startEmulator } from "./helpers/emulator.mjs";
import { mixedIds, rongcloud } from "./helpers/rongcloud.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const IDS = mixedIds(900, 100); // 1,000 distinct ids, 10 requests

async function runWith(faults, config = {}) {
  await emulator.reset();
  for (const fault of faults) await emulator.fault({ vendor: "rongcloud", ...fault });
  const result = await rongcloud(emulator, { timeoutMs: 400, ...config }).getProfiles(IDS);
  assert.deepEqual(accountingErrors(IDS, result), []);
  return { result, log: await emulator.log() };
}

function assertRecovered({ result }) {
  assert.equal(result.profiles.length, 900);
  assert.equal(result.failures.length, 100);
  assert.ok(result.failures.every((f) => f.code === "not_found"));
  assert.ok(result.stats.retries > 0);
}

for (const status of [500, 502, 503]) {
  test(`a burst of ${status}s is retried into profiles`, async () => {
    const run = await runWith([{ kind: "status", status, count: 3 }]);
    assertRecovered(run);
    assert.equal(run.result.stats.requests, 13);
  });
}

test("429 with Retry-After pauses the whole client, then recovers", async () => {
  // One request at a time, so every request after the 429 was sent after the client saw it.
  const start = Date.now();
  const run = await runWith([{ kind: "rate_limit", count: 1, retryAfter: 1 }], { concurrency: 1 });
  assertRecovered(run);
  const limited = run.log.find((e) => e.status === 429);
  const after = run.log.filter((e) => e.at > limited.at);
  assert.ok(after.length > 0);
  assert.ok(after.every((e) => e.at - limited.at >= 990), "nothing was sent during the Retry-After pause");
  assert.ok(Date.now() - start >= 1000);
});

test("a stall longer than timeoutMs times out and is retried", async () => {
  const run = await runWith([{ kind: "stall", ms: 2_000, count: 2 }]);
  assertRecovered(run);
});

test("truncated JSON is retried", async () => {
  assertRecovered(await runWith([{ kind: "truncate", count: 3 }]));
});

test("a connection reset is retried", async () => {
  assertRecovered(await runWith([{ kind: "reset", count: 2 }]));
});

// With no retries and one request at a time, the first `count` requests take the faults.
const firstRequests = (count) => [...new Set(IDS)].slice(0, count * 100);

test("a fault that outlasts the retries becomes failures, and the rest goes on", async () => {
  const { result } = await runWith([{ kind: "status", status: 503, count: 2 }], { retries: 0, concurrency: 1 });
  const failedHard = result.failures.filter((f) => f.code === "vendor_error");
  assert.deepEqual(failedHard.map((f) => f.id), firstRequests(2));
  assert.ok(failedHard.every((f) => f.retryable && f.message.includes("503")));
  const knownLost = firstRequests(2).filter((id) => id.startsWith("u")).length;
  assert.equal(result.profiles.length, 900 - knownLost);
});

test("timeouts that never clear fail as timeout", async () => {
  const { result } = await runWith([{ kind: "stall", ms: 1_500, count: 1 }], { retries: 0, concurrency: 1 });
  const timedOut = result.failures.filter((f) => f.code === "timeout");
  assert.deepEqual(timedOut.map((f) => f.id), firstRequests(1));
  assert.ok(timedOut[0].message.includes("timeoutMs"));
});

test("a dead primary host fails over to backupBaseUrl", async () => {
  await emulator.reset();
  // Port 1 on loopback refuses connections: a network-level failure of the primary.
  const client = rongcloud(emulator, { baseUrl: "http://127.0.0.1:1", backupBaseUrl: emulator.url });
  const result = await client.getProfiles(IDS);
  assert.deepEqual(accountingErrors(IDS, result), []);
  assert.equal(result.profiles.length, 900);
  assert.ok(result.stats.retries >= 1 && result.stats.retries <= 8, `${result.stats.retries} retries`);
  assert.equal((await emulator.log()).length, 10, "every request reached the backup once");
});

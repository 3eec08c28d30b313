// Injected faults: every id is still accounted for exactly once, and transient faults end
// as profiles once they clear.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { accountingErrors, startEmulator } from "improfiles-emulator";
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

test("429 with Retry-After: 2: no request of the client reaches the vendor for 2 seconds", async () => {
  await emulator.reset();
  await emulator.fault({ vendor: "rongcloud", kind: "status", status: 429, retryAfter: 2 });
  // Every fetch the client starts, and when it saw the 429, in the client's own clock.
  const calls = [];
  let limitedAt;
  const fetch = async (url, init) => {
    calls.push(Date.now());
    const response = await globalThis.fetch(url, init);
    if (response.status === 429) limitedAt ??= Date.now();
    return response;
  };
  const ids = mixedIds(2000, 0);
  const result = await rongcloud(emulator, { fetch }).getProfiles(ids);
  assert.deepEqual(accountingErrors(ids, result), []);
  assert.equal(result.profiles.length, 2000);
  assert.ok(limitedAt !== undefined);
  // The client learns of the 429 only once it has read the body, after this wrapper saw it: a
  // request it started in that moment went before it could know. 50 ms covers that on a
  // loaded machine; a pause not honoured would show as requests all through the 2 s.
  const early = calls.filter((at) => at > limitedAt + 50 && at < limitedAt + 2000);
  assert.deepEqual(early, [], "requests started during the Retry-After pause");
  // At the vendor: whatever arrived after the 429 within 2 s was sent before the client saw it.
  const log = await emulator.log();
  const limited = log.find((e) => e.status === 429);
  const sentBefore = calls.filter((at) => at < limitedAt).length;
  const arrivedEarly = log.filter((e) => e.at > limited.at && e.at < limited.at + 2000);
  assert.ok(log.indexOf(limited) + 1 + arrivedEarly.length <= sentBefore);
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
  assert.deepEqual(
    failedHard.map((f) => f.id),
    firstRequests(2),
  );
  assert.ok(failedHard.every((f) => f.retryable && f.message.includes("503")));
  const knownLost = firstRequests(2).filter((id) => id.startsWith("u")).length;
  assert.equal(result.profiles.length, 900 - knownLost);
});

test("timeouts that never clear fail as timeout", async () => {
  const { result } = await runWith([{ kind: "stall", ms: 1_500, count: 1 }], { retries: 0, concurrency: 1 });
  const timedOut = result.failures.filter((f) => f.code === "timeout");
  assert.deepEqual(
    timedOut.map((f) => f.id),
    firstRequests(1),
  );
  assert.ok(timedOut[0].message.includes("timeoutMs"));
});

test("a dead primary host fails over to backupBaseUrl, within the retry budget", async () => {
  await emulator.reset();
  let attempts = 0;
  const fetch = (url, init) => {
    attempts++;
    return globalThis.fetch(url, init);
  };
  // Port 1 on loopback refuses connections: a network-level failure of the primary.
  const client = rongcloud(emulator, { baseUrl: "http://127.0.0.1:1", backupBaseUrl: emulator.url, fetch });
  const result = await client.getProfiles(IDS);
  assert.deepEqual(accountingErrors(IDS, result), []);
  assert.equal(result.profiles.length, 900);
  // The requests in flight when the primary failed (at most `concurrency`, 8) each retry
  // once on the backup: far inside the budget of 100 retries.
  assert.ok(result.stats.retries >= 1 && result.stats.retries <= 8, `${result.stats.retries} retries`);
  assert.equal(attempts, result.stats.requests);
  assert.equal(result.stats.requests, 10 + result.stats.retries);
  assert.equal((await emulator.log()).length, 10, "every request reached the backup once");
  const later = await client.getProfiles(["u1", "u2"]);
  assert.equal(later.profiles.length, 2);
  assert.equal(attempts, result.stats.requests + 1, "later calls go straight to the backup");
});

test("a dead vendor is not hammered: the breaker fails the queued ids fast", async () => {
  let attempts = 0;
  const fetch = (url, init) => {
    attempts++;
    return globalThis.fetch(url, init);
  };
  const ids = mixedIds(5000, 0);
  const client = rongcloud(emulator, { baseUrl: "http://127.0.0.1:1", fetch });
  const result = await client.getProfiles(ids);
  assert.deepEqual(accountingErrors(ids, result), []);
  assert.equal(result.profiles.length, 0);
  // 10 failures in a row open the breaker; the 7 other requests in flight then still end.
  assert.ok(attempts <= 17, `${attempts} attempts for 50 requests' worth of ids`);
  assert.ok(result.failures.every((f) => f.retryable && ["network", "vendor_error"].includes(f.code)));
  const fast = result.failures.filter((f) => f.code === "vendor_error");
  assert.ok(fast.length >= 5000 - 17 * 100);
  assert.match(fast[0].message, /10 requests in a row failed .* for \d+ more seconds/);
  // A second call within the cooldown sends nothing at all.
  const second = await client.getProfiles(["u1", "u2"]);
  assert.deepEqual(
    second.failures.map((f) => f.code),
    ["vendor_error", "vendor_error"],
  );
  assert.equal(second.stats.requests, 0);
});

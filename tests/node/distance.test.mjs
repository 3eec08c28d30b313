// Pacing at a vendor's distance: the emulator adds a round trip (each leg half of it, jittered)
// before the vendor counts a request. What is asserted is what the vendor saw — no 1-second
// window over the limit, nothing refused — and the accounting rule; the rate reached is printed
// for the record and measured by `make bench`, never asserted (a loaded machine would fail it).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { fileURLToPath } from "node:url";

import { atDistance } from "../../bench/rate.mjs";
import { launchChromium, outcomeOf } from "./helpers/chromium.mjs";
import { easemobWithToken } from "./helpers/easemob.mjs";
import { accountingErrors, startEmulator } from "improfiles-emulator";
import { serveStatic } from "./helpers/static-server.mjs";
import { kaixin } from "./helpers/kaixin.mjs";
import { rongcloud } from "./helpers/rongcloud.mjs";
import { tencent } from "./helpers/tencent.mjs";

let emulator;
before(async () => (emulator = await startEmulator({ size: 100_000 })));
after(() => emulator.stop());

const range = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

// About three windows' worth of requests each, at the vendor's documented rate.
const VENDORS = [
  { vendor: "rongcloud", limit: 100, client: () => rongcloud(emulator), ids: range("u", 30_000) },
  { vendor: "tencent", limit: 200, client: () => tencent(emulator), ids: range("t", 60_000) },
  { vendor: "tencent-attrs", limit: 100, client: () => tencent(emulator, "tencent-attrs"), ids: range("t", 30_000) },
  { vendor: "easemob", limit: 100, client: () => easemobWithToken(emulator), ids: range("user", 300) },
  { vendor: "kaixin", limit: 10, client: () => kaixin(emulator), ids: range("", 1_500) },
];

test("the emulator's latency: the vendor counts a request only after its uplink", async () => {
  const seen = await atDistance(emulator, { vendor: "rongcloud", latencyMs: 300, jitterMs: 20 }, async () => {
    const sent = Date.now();
    await rongcloud(emulator).getProfiles(["u1"]);
    return { sent, back: Date.now() };
  });
  assert.equal(seen.requests, 1);
  assert.ok(seen.result.back - seen.result.sent >= 300 - 20, "a whole round trip at least");
  await assert.rejects(emulator.latency({ latencyMs: 10, jitterMs: 20 }), /jitterMs/);
});

for (const { vendor, limit, client, ids } of VENDORS) {
  test(`${vendor} at 200 ± 20 ms, default config: no window over ${limit}, nothing refused, every id once`, async () => {
    const seen = await atDistance(emulator, { vendor, latencyMs: 200, jitterMs: 20 }, () => client().getProfiles(ids));
    assert.deepEqual(accountingErrors(ids, seen.result), []);
    assert.equal(seen.refused, 0);
    assert.ok(seen.busiest <= limit, `busiest second ${seen.busiest}`);
    console.log(
      `# ${vendor} at 200 ms: ${seen.requests} requests, ${(seen.rate / limit).toFixed(3)} of the rate by arrival (a figure, not asserted)`,
    );
  });
}

// A cold start, as against a real vendor over TLS: every request that opens a connection pays
// two more round trips (TCP, TLS 1.3) before it goes, so the first round trips measured are all
// longer than any later request's way out and another's way back. Setting the latency makes
// every connection new.
for (const { vendor, limit, client, ids } of VENDORS.filter((v) => ["rongcloud", "kaixin"].includes(v.vendor))) {
  test(`${vendor} at 500 ± 50 ms from a cold start (new connections pay 2 round trips): no window over ${limit}, nothing refused`, async () => {
    const seen = await atDistance(emulator, { vendor, latencyMs: 500, jitterMs: 50, handshakeRoundTrips: 2 }, () =>
      client().getProfiles(ids),
    );
    assert.deepEqual(accountingErrors(ids, seen.result), []);
    assert.equal(seen.refused, 0);
    assert.ok(seen.busiest <= limit, `busiest second ${seen.busiest}`);
    console.log(
      `# ${vendor} at 500 ms from a cold start: ${(seen.rate / limit).toFixed(3)} of the rate by arrival (a figure, not asserted)`,
    );
  });
}

test("a given concurrency is a hard cap, at any distance", async () => {
  let out = 0;
  let most = 0;
  const counting = async (url, init) => {
    most = Math.max(most, ++out);
    try {
      return await fetch(url, init);
    } finally {
      out--;
    }
  };
  const ids = range("u", 4_000);
  const seen = await atDistance(emulator, { vendor: "rongcloud", latencyMs: 200, jitterMs: 20 }, () =>
    rongcloud(emulator, { concurrency: 3, fetch: counting }).getProfiles(ids),
  );
  assert.deepEqual(accountingErrors(ids, seen.result), []);
  assert.equal(most, 3);
  assert.equal(seen.refused, 0);
  assert.equal(JSON.parse(JSON.stringify(rongcloud(emulator))).concurrency, "auto");
});

// In a page, behind Chromium's six HTTP/1.1 connections and its start: the pacing credits no
// floor until round trips from after the first window are known (core/src/pacing.rs), since
// every round trip of a starting browser's first second holds its start. The page is the
// bench's (bench/pages/rate.html): 300 requests, default config.
test("rongcloud in a Chromium page at 50 ± 5 ms: no window over 100, nothing refused", async () => {
  const [site, browser] = await Promise.all([serveStatic(fileURLToPath(new URL("../..", import.meta.url))), launchChromium()]);
  try {
    const seen = await atDistance(emulator, { vendor: "rongcloud", latencyMs: 50, jitterMs: 5 }, () =>
      outcomeOf(browser, `${site.url}/bench/pages/rate.html?emulator=${encodeURIComponent(emulator.url)}&ids=30000`),
    );
    assert.deepEqual(seen.result.pageErrors, []);
    assert.equal(seen.result.error, undefined);
    assert.deepEqual([seen.result.stats.profiles, seen.result.stats.failures], [30_000, 0]);
    assert.equal(seen.refused, 0);
    assert.ok(seen.busiest <= 100, `busiest second ${seen.busiest}`);
  } finally {
    await Promise.all([site.close(), browser.close()]);
  }
});

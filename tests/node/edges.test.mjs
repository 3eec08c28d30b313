// Where the module meets the caller's functions and the vendor's pacing: every wait of an
// attempt is bounded by timeoutMs, whatever the injected function does, and a vendor's pause is
// honoured only up to maxRetryAfterMs. Each test has a test timeout so that a regression fails
// instead of hanging the suite; none asserts a duration.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { accountingErrors, startEmulator } from "./helpers/emulator.mjs";
import { easemobWithToken } from "./helpers/easemob.mjs";
import { rongcloud } from "./helpers/rongcloud.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const never = () => new Promise(() => {});
const ids = (count, from = 1) => Array.from({ length: count }, (_, i) => `u${from + i}`);
const BOUNDED = { timeout: 30_000 };

test("a fetch that never settles (and ignores its signal) times out and frees its slot", BOUNDED, async () => {
  let calls = 0;
  const fetch = (url, init) => (calls++ === 0 ? never() : globalThis.fetch(url, init));
  const client = rongcloud(emulator, { fetch, concurrency: 1, timeoutMs: 200, retries: 1 });
  const asked = ids(250);
  const result = await client.getProfiles(asked);
  assert.deepEqual(accountingErrors(asked, result), []);
  assert.equal(result.profiles.length, 250, "the hung attempt was retried");
  assert.equal(result.stats.retries, 1);
  assert.equal((await client.getProfiles(["u999"])).profiles.length, 1, "concurrency 1: the slot came back");
});

test("a body that never settles times out", BOUNDED, async () => {
  const fetch = async () => ({ status: 200, headers: new Headers({ "content-type": "application/json" }), text: never });
  const result = await rongcloud(emulator, { fetch, concurrency: 1, timeoutMs: 150, retries: 0 }).getProfiles(["u1", "u2"]);
  assert.deepEqual(
    result.failures.map((f) => [f.id, f.code, f.retryable]),
    [
      ["u1", "timeout", true],
      ["u2", "timeout", true],
    ],
  );
});

test("a signer that never settles times out", BOUNDED, async () => {
  await emulator.reset();
  const client = rongcloud(emulator, { appSecret: undefined, signer: never, timeoutMs: 150, retries: 0 });
  const result = await client.getProfiles(["u1"]);
  assert.equal(result.failures[0].code, "timeout");
  assert.equal((await emulator.log()).length, 0, "nothing was sent unsigned");
});

test("Retry-After past maxRetryAfterMs: the ids fail at once as rate_limited, and the client is not paused", BOUNDED, async () => {
  for (const retryAfter of [86_400, 2 ** 31 + 5]) {
    await emulator.reset();
    const warnings = [];
    const onWarning = (w) => warnings.push(w.name);
    process.on("warning", onWarning);
    await emulator.fault({ vendor: "rongcloud", kind: "rate_limit", retryAfter });
    const client = rongcloud(emulator);
    const first = await client.getProfiles(ids(100));
    assert.equal(first.failures.length, 100);
    assert.ok(first.failures.every((f) => f.code === "rate_limited" && f.retryable === true));
    assert.match(first.failures[0].message, /maxRetryAfterMs/);
    const second = await client.getProfiles(ids(100, 101));
    assert.equal(second.profiles.length, 100, "the next call goes at once");
    process.off("warning", onWarning);
    assert.deepEqual(warnings, [], "no timer overflowed");
  }
  assert.equal(JSON.parse(JSON.stringify(rongcloud(emulator))).maxRetryAfterMs, 60_000);
  assert.throws(() => rongcloud(emulator, { maxRetryAfterMs: -1 }), (e) => e.code === "invalid_config" && /maxRetryAfterMs/.test(e.message));
});

test("a Retry-After within maxRetryAfterMs is still waited out", BOUNDED, async () => {
  await emulator.reset();
  await emulator.fault({ vendor: "rongcloud", kind: "rate_limit", retryAfter: 1 });
  const result = await rongcloud(emulator, { maxRetryAfterMs: 5_000 }).getProfiles(ids(10));
  assert.equal(result.profiles.length, 10);
  assert.equal(result.stats.retries, 1);
});

test("a listing whose pages stay empty while the cursor moves on ends after 3 of them", BOUNDED, async () => {
  let pages = 0;
  const fetch = async () => new Response(JSON.stringify({ entities: [], cursor: `c${++pages}` }), { status: 200, headers: { "content-type": "application/json" } });
  const result = await easemobWithToken(emulator, { fetch }).listAllProfiles({ max: 10 });
  assert.equal(result.profiles.length, 0);
  assert.equal(pages, 3);
});

test("a call whose fetch answers at once still lets timers run", BOUNDED, async () => {
  const body = JSON.stringify({ code: 200, userList: [] });
  const fetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const result = await rongcloud(emulator, { fetch, rateLimit: 100_000 }).getProfiles(ids(100_000));
  clearInterval(timer);
  assert.equal(result.failures.length, 100_000);
  assert.ok(ticks > 0, "a 1 ms interval fired while the call ran");
});

// Where the module meets the caller's functions and the vendor's pacing: every wait of an
// attempt is bounded by timeoutMs, whatever the injected function does, and a vendor's pause is
// honoured only up to maxRetryAfterMs. Each test has a test timeout so that a regression fails
// instead of hanging the suite; none asserts a duration.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ProfileClient } from "improfiles";
import { utf8, wellFormed } from "../../js/shell/ids.js";

import { accountingErrors, demoConfig, startEmulator } from "improfiles-emulator";
import { easemobWithToken } from "./helpers/easemob.mjs";
import { rongcloud } from "./helpers/rongcloud.mjs";
import { tencent } from "./helpers/tencent.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const never = () => new Promise(() => {});
const ids = (count, from = 1) => Array.from({ length: count }, (_, i) => `u${from + i}`);
const BOUNDED = { timeout: 30_000 };

test("a fetch that never settles (and ignores its signal) times out and frees its slot", BOUNDED, async () => {
  let calls = 0;
  const fetch = (url, init) => (calls++ === 0 ? never() : globalThis.fetch(url, init));
  const client = rongcloud(emulator, { fetch, concurrency: 1, timeoutMs: 1000, retries: 2 });
  const asked = ids(250);
  const result = await client.getProfiles(asked);
  assert.deepEqual(accountingErrors(asked, result), []);
  assert.equal(result.profiles.length, 250, "the hung attempt was retried");
  assert.ok(result.stats.retries >= 1);
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

test("a body is read by bytes(), else arrayBuffer(), else text(); bytes() that gives no bytes fails as the network", BOUNDED, async () => {
  const answer = async (url, init) => {
    const response = await globalThis.fetch(url, init);
    return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
  };
  const shapes = {
    bytes: ({ body }) => ({ bytes: async () => body, arrayBuffer: never, text: never }),
    // A view into a larger buffer, as a socket's read is.
    view: ({ body }) => ({ bytes: async () => new Uint8Array([120, ...body, 120]).subarray(1, body.length + 1) }),
    arrayBuffer: ({ body }) => ({ arrayBuffer: async () => body.slice().buffer, text: never }),
    text: ({ body }) => ({ text: async () => new TextDecoder().decode(body) }),
  };
  for (const [shape, make] of Object.entries(shapes)) {
    const fetch = async (url, init) => {
      const answered = await answer(url, init);
      return { status: answered.status, headers: answered.headers, ...make(answered) };
    };
    const result = await rongcloud(emulator, { fetch, retries: 0 }).getProfiles(["u1", "u2"]);
    assert.deepEqual(
      result.profiles.map((p) => p.id),
      ["u1", "u2"],
      shape,
    );
  }
  const fetch = async () => ({ status: 200, headers: new Headers(), bytes: async () => "{}" });
  const result = await rongcloud(emulator, { fetch, retries: 0 }).getProfiles(["u1"]);
  assert.equal(result.failures[0].code, "network");
  assert.match(result.failures[0].message, /bytes\(\) gave no bytes/);
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
  assert.throws(
    () => rongcloud(emulator, { maxRetryAfterMs: -1 }),
    (e) => e.code === "invalid_config" && /maxRetryAfterMs/.test(e.message),
  );
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
  const fetch = async () =>
    new Response(JSON.stringify({ entities: [], cursor: `c${++pages}` }), { status: 200, headers: { "content-type": "application/json" } });
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

const json = (body, headers = {}) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status: 200,
    headers: { "content-type": "application/json", ...headers },
  });

test("a record with a number past a double or a lone-surrogate escape is read as JSON.parse reads it", BOUNDED, async () => {
  const body =
    '{"code":200,"userList":[{"userId":"u1","userProfile":{"name":"Bob\\ud83d","level":1e400}},{"userId":"u2","userProfile":{"name":"Ann"}}]}';
  const result = await rongcloud(emulator, { fetch: async () => json(body) }).getProfiles(["u1", "u2"]);
  assert.deepEqual(result.failures, []);
  assert.deepEqual(
    result.profiles.map((p) => [p.id, p.name]),
    [
      ["u1", "Bob\uFFFD"],
      ["u2", "Ann"],
    ],
  );
});

test("ids that are not well-formed UTF-16 are refused before anything is sent", BOUNDED, async () => {
  await emulator.reset();
  const client = rongcloud(emulator);
  await assert.rejects(client.getProfiles(["a\ud800", "a\udc00"]), (e) => e.code === "invalid_input" && /ids\[0\].*UTF-16/.test(e.message));
  await assert.rejects(client.loader().load("b\ud800"), (e) => e.code === "invalid_input");
  assert.equal((await emulator.log()).length, 0);
  // Streamed ids are read one at a time (src/js.rs, read_id), each checked as it comes.
  const streamed = (function* () {
    yield "u1";
    yield "c\udfff";
  })();
  await assert.rejects(client.getProfiles(streamed), (e) => e.code === "invalid_input" && /UTF-16/.test(e.message));
  // Where the engine has no isWellFormed, js/shell/ids.js's regex decides alike.
  const without = (text) => Object.assign(new String(text), { isWellFormed: undefined });
  for (const text of ["a\ud800", "\udc00b", "😀", "张伟", "", "x\ud83d\ude00\ud800"]) {
    assert.equal(wellFormed(without(text)), text.isWellFormed(), text);
  }
});

test("strings cross into wasm whole as UTF-8, of any size and script, one after another", BOUNDED, () => {
  // Past 1 MiB of possible UTF-8 a string is encoded on its own, below it into a kept buffer:
  // each, and a short one after a long one, as node:buffer encodes it.
  const texts = ["", "a", "张伟 😀", "x\ud800y", "=1+1".repeat(100_000), "名".repeat(400_000), "é", "\u0000\u001f"];
  for (const text of texts) {
    const bytes = utf8(text);
    assert.equal(
      Buffer.compare(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), Buffer.from(text, "utf8")),
      0,
      text.slice(0, 8),
    );
  }
  assert.equal(utf8(42), undefined);
  // The same through parseResponse: a body of 800 KB of CJK and emoji, then a small one.
  const client = rongcloud(emulator);
  const long = `张伟😀${"名".repeat(266_000)}`;
  for (const name of [long, "Zoë", long.slice(0, 1000)]) {
    const body = JSON.stringify({ code: 200, userList: [{ userId: "u1", userProfile: { name } }] });
    const parsed = client.parseResponse(["u1"], { status: 200, body });
    assert.equal(parsed.profiles[0].name, name);
  }
});

test("caller input that throws is a clear error naming the key, never a hang or a silent default", BOUNDED, async () => {
  await emulator.reset();
  const client = rongcloud(emulator);
  const thrower = () => {
    throw new Error("boom");
  };
  const withGetter = ["u1", "u2"];
  Object.defineProperty(withGetter, 1, { get: thrower });
  await assert.rejects(client.getProfiles(withGetter), (e) => e.code === "invalid_input" && /ids\[1\]/.test(e.message));
  const proxy = new Proxy(["u1"], { get: (target, key) => (key === "length" ? thrower() : target[key]) });
  await assert.rejects(client.getProfiles(proxy), (e) => e.code === "invalid_input" && /ids/.test(e.message));
  const options = {};
  Object.defineProperty(options, "signal", { get: thrower, enumerable: true });
  await assert.rejects(client.getProfiles(["u1"], options), (e) => e.code === "invalid_input" && /options\.signal/.test(e.message));
  for (const key of ["fetch", "appKey"]) {
    const config = demoConfig("rongcloud", emulator.url);
    Object.defineProperty(config, key, { get: thrower, enumerable: true });
    assert.throws(
      () => new ProfileClient(config),
      (e) => e.code === "invalid_config" && e.message.includes(`config.${key}`),
    );
  }
  assert.throws(
    () => rongcloud(emulator, { timeoutMs: Number.NaN }),
    (e) => e.code === "invalid_config" && /timeoutMs/.test(e.message),
  );
  assert.equal((await emulator.log()).length, 0, "nothing was sent");
});

test("a body over maxResponseBytes fails its ids as invalid_response, without a retry", BOUNDED, async () => {
  let calls = 0;
  const big = JSON.stringify({ code: 200, userList: [{ userId: "u1", userProfile: { name: "x".repeat(4096) } }] });
  const fetch = async () => {
    calls++;
    return json(big);
  };
  const result = await rongcloud(emulator, { fetch, maxResponseBytes: 2048 }).getProfiles(["u1"]);
  assert.deepEqual(
    result.failures.map((f) => [f.code, f.retryable]),
    [["invalid_response", false]],
  );
  assert.match(result.failures[0].message, /maxResponseBytes/);
  assert.equal(calls, 1);
  const declared = async () => json("{}", { "content-length": String(1 << 30) });
  const refused = await rongcloud(emulator, { fetch: declared }).getProfiles(["u1"]);
  assert.equal(refused.failures[0].code, "invalid_response", "by its Content-Length, unread");
  assert.equal(JSON.parse(JSON.stringify(rongcloud(emulator))).maxResponseBytes, 16 << 20);
});

test("Tencent 70001 for a UserSig the client made: made anew once, then the call goes on", BOUNDED, async () => {
  await emulator.reset();
  const realNow = Date.now;
  // The client's clock is two days behind while it makes its first UserSig.
  Date.now = () => realNow() - 2 * 86_400_000;
  const fetch = (url, init) => {
    Date.now = realNow;
    return globalThis.fetch(url, init);
  };
  try {
    const result = await tencent(emulator, "tencent", { fetch }).getProfiles(["t1", "t2"]);
    assert.deepEqual(
      result.profiles.map((p) => p.id),
      ["t1", "t2"],
    );
  } finally {
    Date.now = realNow;
  }
  const outcomes = (await emulator.log()).map((e) => e.outcome);
  assert.equal(outcomes.length, 2, `${outcomes}`);
});

test("ids the breaker fails while they wait in the queue reach onBatch too", BOUNDED, async () => {
  const fetch = async () => {
    throw new TypeError("connect ECONNREFUSED");
  };
  const asked = ids(2_000);
  const delivered = [];
  const result = await rongcloud(emulator, { fetch, retries: 0, concurrency: 1 }).getProfiles(asked, {
    collect: false,
    onBatch: async ({ profiles, failures }) => {
      for (const x of [...profiles, ...failures]) delivered.push(x.id);
    },
  });
  assert.equal(result.stats.failures, 2_000);
  assert.equal(new Set(delivered).size, 2_000, "every id through onBatch, once");
  assert.equal(delivered.length, 2_000);
});

// Streaming: ids from an iterable read as requests go out, results as an async iterable with
// backpressure, the Easemob listing page by page, and results of any size.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { accountingErrors, startEmulator } from "improfiles-emulator";
import { easemob } from "./helpers/easemob.mjs";
import { rongcloud } from "./helpers/rongcloud.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const requests = async () => (await emulator.log()).length;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("an async iterable is read as requests go out, and its repeats are fetched once", async () => {
  await emulator.reset();
  const asked = [];
  let pulled = 0;
  async function* ids() {
    for (let i = 1; i <= 1000; i++) {
      for (const id of [`u${i}`, ...(i % 100 === 0 ? ["u1", `u${i - 50}`, `ghost-${i}`] : [])]) {
        pulled++;
        asked.push(id);
        yield id;
      }
    }
  }
  const pulledAtSend = [];
  const fetch = (url, init) => {
    pulledAtSend.push(pulled);
    return globalThis.fetch(url, init);
  };
  const result = await rongcloud(emulator, { fetch }).getProfiles(ids());
  assert.deepEqual(accountingErrors(asked, result), []);
  assert.equal(result.profiles.length, 1000);
  assert.equal(result.failures.length, 10);
  const log = await emulator.log();
  assert.equal(
    log.reduce((sum, e) => sum + e.ids, 0),
    1010,
    "each distinct id went once",
  );
  // A request goes once it has 100 distinct ids; the input is not read far ahead of that.
  for (const [n, p] of pulledAtSend.entries()) assert.ok(p <= 100 * (n + 1) + 30, `request ${n} went after ${p} ids were read`);
});

test("any iterable works, a bad element rejects the call, and a throwing iterable rejects with its error", async () => {
  await emulator.reset();
  const client = rongcloud(emulator);
  const fromSet = await client.getProfiles(new Set(["u1", "u2", "u2"]));
  assert.deepEqual(fromSet.profiles.map((p) => p.id).sort(), ["u1", "u2"]);
  const refused = await client.getProfiles(["u3"].values());
  assert.equal(refused.profiles.length, 1);
  await assert.rejects(
    client.getProfiles(
      (function* () {
        yield "u1";
        yield 7;
      })(),
    ),
    (e) => e.code === "invalid_input" && /ids\[1\]/.test(e.message),
  );
  const failing = async function* () {
    yield "u1";
    throw new Error("the file went away");
  };
  await assert.rejects(client.getProfiles(failing()), /the file went away/);
  await assert.rejects(client.getProfiles("u1,u2"), (e) => e.code === "invalid_input");
  let closed = false;
  const controller = new AbortController();
  const endless = (function* () {
    try {
      for (let i = 1; ; i++) yield `u${(i % 2000) + 1}`;
    } finally {
      closed = true;
    }
  })();
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(client.getProfiles(endless, { signal: controller.signal, collect: false }), (e) => e.code === "aborted");
  assert.ok(closed, "the iterable is closed when the call ends before it");
});

test("streamProfiles: one item per request, nothing new sent while the consumer waits, and break stops the call", async () => {
  await emulator.reset();
  const ids = Array.from({ length: 20_000 }, (_, i) => `u${i + 1}`);
  const client = rongcloud(emulator);
  const seen = new Set();
  let items = 0;
  let sentWhileWaiting;
  for await (const item of client.streamProfiles(ids)) {
    items++;
    for (const id of [...item.profiles.map((p) => p.id), ...item.failures.map((f) => f.id)]) {
      assert.ok(!seen.has(id), `${id} came twice`);
      seen.add(id);
    }
    assert.equal(typeof item.stats.requests, "number");
    if (items === 3) {
      await sleep(100);
      const before = await requests();
      await sleep(600);
      sentWhileWaiting = (await requests()) - before;
    }
    if (items === 5) break;
  }
  assert.equal(sentWhileWaiting, 0, "no request starts while the consumer does not ask");
  const atBreak = await requests();
  await sleep(500);
  assert.equal(await requests(), atBreak, "nothing is sent after the loop is left");
  assert.ok(atBreak < 200, `${atBreak} of 200 requests went`);
  assert.equal(seen.size, 500);
});

test("streamProfiles answers next() calls made before the last was answered", async () => {
  await emulator.reset();
  const iterator = rongcloud(emulator)
    .streamProfiles(Array.from({ length: 300 }, (_, i) => `u${i + 1}`))
    [Symbol.asyncIterator]();
  const items = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
  assert.deepEqual(
    items.map((item) => item.done),
    [false, false, false, true],
  );
  assert.equal(new Set(items.flatMap((item) => item.value?.profiles.map((p) => p.id) ?? [])).size, 300);
});

test("streamProfiles: the caller's signal rejects the next item; a bad option throws at once", async () => {
  await emulator.reset();
  const controller = new AbortController();
  const stream = rongcloud(emulator).streamProfiles(
    Array.from({ length: 5000 }, (_, i) => `u${i + 1}`),
    { signal: controller.signal },
  );
  const iterator = stream[Symbol.asyncIterator]();
  assert.equal((await iterator.next()).done, false);
  controller.abort();
  await assert.rejects(
    (async () => {
      for (;;) if ((await iterator.next()).done) return;
    })(),
    (e) => e.code === "aborted",
  );
  assert.throws(
    () => rongcloud(emulator).streamProfiles(["u1"], { includeRaw: "yes" }),
    (e) => e.code === "invalid_input",
  );
});

test("listPages: Easemob page by page with cursors, up to max; others are unsupported", async () => {
  await emulator.reset();
  const pages = [];
  for await (const page of easemob(emulator).listPages({ pageSize: 100, max: 250 })) pages.push(page);
  assert.deepEqual(
    pages.map((p) => p.profiles.length),
    [100, 100, 50],
  );
  assert.ok(pages[0].cursor && pages[1].cursor && pages[2].cursor === undefined);
  assert.ok(pages.every((p) => Array.isArray(p.failures)));
  assert.equal(new Set(pages.flatMap((p) => p.profiles.map((x) => x.id))).size, 250);
  let taken = 0;
  for await (const _ of easemob(emulator).listPages({ pageSize: 10 })) if (++taken === 2) break;
  const atBreak = (await emulator.log()).filter((e) => e.vendor === "easemob").length;
  await sleep(300);
  assert.equal((await emulator.log()).filter((e) => e.vendor === "easemob").length, atBreak);
  assert.throws(
    () => rongcloud(emulator).listPages(),
    (e) => e.code === "unsupported",
  );
});

test("onBatch gets one batch at a time: the next waits for the promise the last returned", async () => {
  await emulator.reset();
  let active = 0;
  let most = 0;
  let batches = 0;
  await rongcloud(emulator).getProfiles(
    Array.from({ length: 3000 }, (_, i) => `u${i + 1}`),
    {
      collect: false,
      onBatch: async () => {
        batches++;
        most = Math.max(most, ++active);
        await sleep(20);
        active--;
      },
    },
  );
  assert.equal(batches, 30);
  assert.equal(most, 1, "no two onBatch calls overlap");
});

test("a result larger than any one string holds comes back whole", async () => {
  // 60 requests of 100 profiles of about 100,000 characters: over 2^29 characters in all,
  // more than one JS string can hold, which a single-JSON result could not cross.
  const name = "x".repeat(100_000);
  const fetch = async (_url, init) => {
    const users = new URLSearchParams(init.body).getAll("userId").map((userId) => ({ userId, userProfile: { name } }));
    return new Response(JSON.stringify({ code: 200, userList: users }), { headers: { "content-type": "application/json" } });
  };
  const ids = Array.from({ length: 6000 }, (_, i) => `u${i + 1}`);
  const result = await rongcloud(emulator, { fetch, rateLimit: 10_000 }).getProfiles(ids);
  assert.equal(result.profiles.length, 6000);
  assert.equal(result.profiles[5999].name.length, 100_000);
  assert.equal(result.profiles[0].id, "u1");
});

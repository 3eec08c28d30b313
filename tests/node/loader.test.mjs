// client.loader(): coalesced loads, a cache, per-id rejections (`ProfileLoader` in js/shell/types.d.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ProfileError, ProfileLoader } from "improfiles";

import { startEmulator } from "improfiles-emulator";
import { rongcloud } from "./helpers/rongcloud.mjs";
import { accounts, tencent } from "./helpers/tencent.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const requests = async () => (await emulator.log()).filter((e) => e.outcome === "ok").length;

test("1,000 concurrent load() calls for distinct ids become 10 requests", async () => {
  await emulator.reset();
  const loader = rongcloud(emulator).loader();
  assert.ok(loader instanceof ProfileLoader);
  const ids = Array.from({ length: 1000 }, (_, i) => `u${i + 1}`);
  const profiles = await Promise.all(ids.map((id) => loader.load(id)));
  assert.deepEqual(
    profiles.map((p) => p.id),
    ids,
  );
  assert.equal(profiles[0].vendor, "rongcloud");
  assert.equal((await emulator.log()).length, 10);
  assert.ok((await emulator.log()).every((e) => e.ids === 100));
});

test("loads spread over awaits in one tick still coalesce, and repeats share one fetch", async () => {
  await emulator.reset();
  const loader = rongcloud(emulator).loader();
  const later = async (id) => {
    await null;
    await null;
    return loader.load(id);
  };
  const [a, b, c, again] = await Promise.all([loader.load("u1"), later("u2"), later("u3"), loader.load("u1")]);
  assert.deepEqual([a.id, b.id, c.id, again.id], ["u1", "u2", "u3", "u1"]);
  assert.equal(await requests(), 1);
});

test("cached profiles are served without a request; clear, clearAll and prime", async () => {
  await emulator.reset();
  const loader = rongcloud(emulator).loader({ cacheTtlMs: 60_000 });
  const first = await loader.load("u5");
  const second = await loader.load("u5");
  assert.equal(second, first, "the cached object itself");
  assert.equal(await requests(), 1);
  loader.clear("u5");
  await loader.load("u5");
  assert.equal(await requests(), 2);
  loader.clearAll();
  await loader.load("u5");
  assert.equal(await requests(), 3);
  const primed = { vendor: "rongcloud", id: "u6", name: "from elsewhere", gender: "unknown", custom: {} };
  loader.prime(primed);
  assert.equal(await loader.load("u6"), primed);
  loader.prime({ ...primed, name: "ignored: u6 is cached" });
  assert.equal((await loader.load("u6")).name, "from elsewhere");
  assert.equal(await requests(), 3);
  assert.deepEqual(JSON.parse(JSON.stringify(loader)), { vendor: "rongcloud", cacheTtlMs: 60_000, maxCacheSize: 10_000, cached: 2 });
});

test("a short TTL expires entries, and maxCacheSize evicts the least recently used", async () => {
  await emulator.reset();
  const short = rongcloud(emulator).loader({ cacheTtlMs: 50 });
  await short.load("u1");
  await short.load("u1");
  assert.equal(await requests(), 1);
  await new Promise((resolve) => setTimeout(resolve, 80));
  await short.load("u1");
  assert.equal(await requests(), 2, "expired, so fetched again");

  await emulator.reset();
  const small = rongcloud(emulator).loader({ maxCacheSize: 2 });
  await small.loadMany(["u1", "u2"]);
  await small.load("u1"); // u2 is now the least recently used
  await small.load("u3"); // evicts u2
  assert.equal(await requests(), 2);
  await small.load("u1");
  assert.equal(await requests(), 2, "u1 stayed");
  await small.load("u2");
  assert.equal(await requests(), 3, "u2 was evicted");
});

test("the loader's own cache: each hit makes its profile the newest, the oldest goes first; size 0 keeps none", async () => {
  await emulator.reset();
  const primed = (id) => ({ vendor: "rongcloud", id, name: "primed", gender: "unknown", custom: {} });
  const cached = (loader) => JSON.parse(JSON.stringify(loader)).cached;
  const name = async (loader, id) => (await loader.load(id)).name;
  const loader = rongcloud(emulator).loader({ maxCacheSize: 3 });
  loader.prime(primed("u1")).prime(primed("u2")).prime(primed("u3"));
  assert.equal(await name(loader, "u1"), "primed", "a hit: u1 is now the newest");
  loader.prime(primed("u4")); // u2 goes
  assert.equal(cached(loader), 3);
  loader.clear("u3").prime(primed("u3")); // u3 again, now the newest: u1 is the oldest
  loader.prime(primed("u5")); // u1 goes
  assert.deepEqual([await name(loader, "u3"), await name(loader, "u4"), await name(loader, "u5")], ["primed", "primed", "primed"]);
  assert.equal(await requests(), 0, "u3, u4 and u5 came from the cache");
  assert.notEqual(await name(loader, "u2"), "primed", "u2 went first: fetched");
  assert.notEqual(await name(loader, "u1"), "primed", "then u1");
  assert.equal(await requests(), 2);

  await emulator.reset();
  const none = rongcloud(emulator).loader({ maxCacheSize: 0 });
  none.prime(primed("u1"));
  assert.equal(cached(none), 0);
  await none.load("u1");
  await none.load("u1");
  assert.equal(await requests(), 2, "nothing cached");
});

test("a failed id rejects only its own load, with its ProfileError; loadMany puts errors in place", async () => {
  await emulator.reset();
  const loader = rongcloud(emulator).loader();
  const [found, missing] = await Promise.allSettled([loader.load("u1"), loader.load("ghost-1")]);
  assert.equal(found.status, "fulfilled");
  assert.equal(missing.status, "rejected");
  assert.ok(missing.reason instanceof ProfileError);
  assert.equal(missing.reason.code, "not_found");
  assert.equal(missing.reason.vendor, "rongcloud");
  const many = await loader.loadMany(["u2", "ghost-2", "u1"]);
  assert.equal(many[0].id, "u2");
  assert.ok(many[1] instanceof ProfileError && many[1].code === "not_found");
  assert.equal(many[2].id, "u1");
  assert.equal(await requests(), 2, "u1 came from the cache");
});

test("bad ids and options are refused at once; a refused credential rejects every waiting load", async () => {
  const loader = rongcloud(emulator).loader();
  await assert.rejects(loader.load(""), (e) => e instanceof ProfileError && e.code === "invalid_input");
  await assert.rejects(loader.load(42), (e) => e.code === "invalid_input");
  await assert.rejects(loader.loadMany("u1"), (e) => e.code === "invalid_input");
  assert.throws(
    () => rongcloud(emulator).loader({ cacheTtlMs: -1 }),
    (e) => e.code === "invalid_input",
  );
  assert.throws(
    () => rongcloud(emulator).loader({ maxCacheSize: 1.5 }),
    (e) => e.code === "invalid_input",
  );
  const refused = rongcloud(emulator, { appSecret: "not-the-secret" }).loader();
  const results = await Promise.allSettled([refused.load("u1"), refused.load("u2")]);
  assert.deepEqual(
    results.map((r) => r.reason?.code),
    ["auth_failed", "auth_failed"],
  );
});

test("Tencent: loads coalesce at its batch size, and per-account failures reject their own load", async () => {
  await emulator.reset();
  const loader = tencent(emulator).loader();
  const ids = accounts(150, 3);
  const settled = await Promise.allSettled([...new Set(ids)].map((id) => loader.load(id)));
  const rejected = settled.filter((s) => s.status === "rejected").map((s) => s.reason.code);
  assert.ok(rejected.every((code) => ["not_found", "permission_denied"].includes(code)));
  assert.ok(rejected.filter((c) => c === "not_found").length === 3);
  assert.equal((await emulator.log()).filter((e) => e.outcome === "ok" && e.ids === 100).length, 1);
});

test("DataLoader parity: prime(key, value), chaining, maxBatchSize, and a cacheMap of your own", async () => {
  await emulator.reset();
  const loader = rongcloud(emulator).loader({ maxBatchSize: 25 });
  const given = { id: "u1", vendor: "rongcloud", name: "Primed", gender: "unknown" };
  assert.equal(
    loader
      .prime("u1", given)
      .prime({ ...given, id: "u2" })
      .clear("u3")
      .clearAll()
      .prime("u1", given),
    loader,
    "each returns the loader itself",
  );
  assert.equal((await loader.load("u1")).name, "Primed");
  await assert.rejects(
    async () => loader.prime("u4"),
    (e) => e.code === "invalid_input",
  );
  await assert.rejects(
    async () => loader.prime(42, given),
    (e) => e.code === "invalid_input",
  );
  assert.equal(await requests(), 0, "primed: nothing sent");

  const ids = Array.from({ length: 100 }, (_, i) => `u${i + 10}`);
  await Promise.all(ids.map((id) => loader.load(id)));
  const log = await emulator.log();
  assert.equal(log.length, 4, "100 ids in batches of 25");
  assert.ok(log.every((e) => e.ids === 25));

  await emulator.reset();
  const map = new Map();
  const own = rongcloud(emulator).loader({ cacheMap: map });
  await own.load("u5");
  assert.equal(map.get("u5").id, "u5", "profiles go into the caller's map");
  await own.load("u5");
  assert.equal(await requests(), 1, "and come out of it");
  map.delete("u5");
  await own.load("u5");
  assert.equal(await requests(), 2, "the caller's eviction holds");
  own.clearAll();
  assert.equal(map.size, 0);
  assert.equal(JSON.parse(JSON.stringify(own)).cached, 0);
  for (const options of [{ cacheMap: {} }, { cacheMap: new Map(), cacheTtlMs: 5 }, { maxBatchSize: 0 }]) {
    assert.throws(
      () => rongcloud(emulator).loader(options),
      (e) => e.code === "invalid_input",
    );
  }
});

// A caller's AbortSignal outlives its calls: one `AbortSignal.timeout(60_000)` shared by a whole
// sync, aborted long after most calls ended. A late abort must be a no-op, and a settled call
// must leave no listener behind.
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { after, before, test } from "node:test";

import { easemobWithToken } from "./helpers/easemob.mjs";
import { startEmulator } from "improfiles-emulator";
import { rongcloud } from "./helpers/rongcloud.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

test("aborting a signal after its calls ended is a no-op, and they leave no listener", async () => {
  const controller = new AbortController();
  const { signal } = controller;
  const client = rongcloud(emulator);
  const easemob = easemobWithToken(emulator);
  await client.getProfiles(["u1", "u2"], { signal });
  await easemob.listProfiles({ pageSize: 5, signal });
  await easemob.listAllProfiles({ pageSize: 50, max: 100, signal });
  await client.loader().load("u3");
  const failed = await client.getProfiles(["u4"], { signal, onBatch: () => Promise.reject(new Error("disk full")) }).catch((e) => e);
  assert.match(failed.message, /disk full/);
  assert.equal(getEventListeners(signal, "abort").length, 0);
  controller.abort();
  await tick();
  assert.equal((await client.getProfiles(["u5"])).profiles.length, 1, "the client still works");
});

test("2,500 calls sharing one signal leave no listener on it", async () => {
  const signal = AbortSignal.timeout(600_000);
  const client = rongcloud(emulator, { rateLimit: 10_000 });
  await emulator.limits({ enforce: false });
  // Ten at a time: more calls listening at once would warn (MaxListenersExceededWarning) by
  // design, whatever they clean up afterwards.
  const warnings = [];
  const onWarning = (w) => warnings.push(w.name);
  process.on("warning", onWarning);
  for (let i = 0; i < 2_500; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, k) => client.getProfiles([`u${i + k + 1}`], { signal })));
  }
  await new Promise((resolve) => setImmediate(resolve));
  process.off("warning", onWarning);
  assert.deepEqual(warnings, [], "no MaxListenersExceededWarning");
  assert.equal(getEventListeners(signal, "abort").length, 0);
  await emulator.reset();
});

test("an abort during a call still rejects it as aborted", async () => {
  const controller = new AbortController();
  const call = rongcloud(emulator, { rateLimit: 1 }).getProfiles(
    Array.from({ length: 500 }, (_, i) => `u${i + 1}`),
    { signal: controller.signal },
  );
  await tick();
  controller.abort();
  await assert.rejects(call, (e) => e.code === "aborted");
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);
});

// No configured secret in any error, failure, serialization or inspection of a client.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, test } from "node:test";

import { ProfileClient } from "improfiles";

import { RONGCLOUD, startEmulator } from "improfiles-emulator";

const { appKey: APP_KEY, appSecret: SECRET } = RONGCLOUD;
let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

function assertClean(label, value) {
  for (const text of [typeof value === "string" ? value : JSON.stringify(value), inspect(value, { depth: 10, showHidden: true })]) {
    assert.ok(!text.includes(SECRET), `${label} leaks the secret: ${text}`);
  }
}

test("the client itself", () => {
  const client = new ProfileClient({ vendor: "rongcloud", appKey: APP_KEY, appSecret: SECRET, baseUrl: emulator.url });
  assertClean("JSON.stringify(client)", JSON.stringify(client));
  assertClean("inspect(client)", inspect(client, { depth: 10, showHidden: true }));
  assertClean("String(client)", String(client));
});

test("config errors name keys, not values", () => {
  for (const config of [
    { vendor: "rongcloud", appKey: "k", appSecret: SECRET, batchSize: 500 },
    { vendor: "rongcloud", appKey: "k", appSecret: SECRET, signer: () => "" },
    { vendor: "rongcloud", appKey: "k", appSecret: SECRET, baseUrl: `http://${SECRET}.example.com` },
    { vendor: "rongcloud", appKey: SECRET, appSecret: [SECRET] },
  ]) {
    try {
      new ProfileClient(config);
      assert.fail("accepted");
    } catch (error) {
      assertClean("config error", error);
      assertClean("config error message", error.message);
      assertClean("config error stack", error.stack);
    }
  }
});

test("failures and errors of every runtime path", async () => {
  const base = { vendor: "rongcloud", appKey: APP_KEY, appSecret: SECRET, timeoutMs: 300, retries: 1 };
  // A fetch that rejects with the secret in its message (as a URL-bearing error might).
  const leaky = new ProfileClient({
    ...base,
    baseUrl: emulator.url,
    fetch: async (url) => {
      throw new TypeError(`failed ${url}?key=${SECRET}`);
    },
  });
  const leakyResult = await leaky.getProfiles(["u1", "u2"]);
  assert.equal(leakyResult.failures[0].code, "network");
  assertClean("network failure", leakyResult);

  // A signer that throws with the secret in its message.
  const signer = new ProfileClient({
    ...base,
    baseUrl: emulator.url,
    appSecret: undefined,
    signer: () => {
      throw new Error(`cannot sign with ${SECRET}`);
    },
  });
  const signed = await signer.getProfiles(["u1"]);
  assert.match(signed.failures[0].message, /signer/);
  assertClean("signer failure", signed);

  // Vendor-side faults and auth failures.
  await emulator.reset();
  await emulator.fault({ vendor: "rongcloud", kind: "status", status: 500, count: 10 });
  const client = new ProfileClient({ ...base, baseUrl: emulator.url });
  const faulted = await client.getProfiles(["u1", "ghost"], {
    onProgress: (p) => assertClean("progress", p),
    onBatch: (b) => assertClean("batch", b),
  });
  assertClean("vendor failure", faulted);
  await emulator.reset();
  await emulator.fault({ vendor: "rongcloud", kind: "stall", ms: 1000, count: 2 });
  assertClean("timeout failure", await client.getProfiles(["u3"]));
  const wrong = new ProfileClient({ ...base, baseUrl: emulator.url, appKey: APP_KEY, appSecret: `${SECRET}-wrong` });
  await assert.rejects(wrong.getProfiles(["u1"]), (error) => {
    assertClean("auth error", error);
    assertClean("auth error message", error.message);
    return error.code === "auth_failed";
  });
});

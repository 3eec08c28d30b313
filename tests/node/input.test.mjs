// Bad input and config: a clear ProfileError, and nothing reaches the emulator.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ProfileClient, ProfileError } from "improfiles";

import { demoConfig, startEmulator } from "improfiles-emulator";
import { rongcloud } from "./helpers/rongcloud.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const valid = () => demoConfig("rongcloud", emulator.url);

function assertProfileError(error, code) {
  assert.ok(error instanceof ProfileError, `not a ProfileError: ${error}`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ProfileError");
  assert.equal(error.code, code);
  assert.equal(error.retryable, false);
  return true;
}

test("invalid config throws invalid_config at construction", async () => {
  await emulator.reset();
  const cases = {
    "not an object": "rongcloud",
    "unknown vendor": { ...valid(), vendor: "icq" },
    "missing appKey": { ...valid(), appKey: undefined },
    "missing appSecret and signer": { ...valid(), appSecret: undefined },
    "both appSecret and signer": { ...valid(), signer: () => "x" },
    "signer not a function": { ...valid(), appSecret: undefined, signer: "abc" },
    "batchSize above 100": { ...valid(), batchSize: 101 },
    "batchSize 0": { ...valid(), batchSize: 0 },
    "http to a public host": { ...valid(), baseUrl: "http://api.rong-api.com" },
    "http backup to a public host": { ...valid(), backupBaseUrl: "http://api-b.rong-api.com" },
    "credentials in the URL": { ...valid(), baseUrl: "https://user:pw@api.rong-api.com" },
    "negative rateLimit": { ...valid(), rateLimit: -5 },
    "fractional concurrency": { ...valid(), concurrency: 2.5 },
    "appKey of the wrong type": { ...valid(), appKey: 42 },
    "fetch not a function": { ...valid(), fetch: "no" },
  };
  for (const [name, config] of Object.entries(cases)) {
    assert.throws(
      () => new ProfileClient(config),
      (e) => assertProfileError(e, "invalid_config"),
      name,
    );
  }
  for (const baseUrl of ["http://localhost:1", "http://127.9.9.9:1", "http://[::1]:1", "https://api.rong-api.com"]) {
    assert.doesNotThrow(() => new ProfileClient({ ...valid(), baseUrl }), baseUrl);
  }
  assert.equal((await emulator.log()).length, 0);
});

test("config values JSON cannot hold, and a getter that throws, are invalid_config naming the key", () => {
  const cyclic = { consumerKey: "k" };
  cyclic.self = cyclic;
  const throwing = Object.defineProperty({ ...valid() }, "timeoutMs", {
    enumerable: true,
    get() {
      throw new Error("no");
    },
  });
  const cases = [
    [{ ...valid(), rateLimit: 10n }, /config\.rateLimit has a value of an unsupported type/],
    [{ ...valid(), appKey: Symbol("k") }, /config\.appKey has a value of an unsupported type/],
    [{ ...valid(), oauth1: cyclic }, /config\.oauth1 has a value of an unsupported type/],
    [{ ...valid(), rateLimit: Number.NaN }, /config\.rateLimit must be a finite number/],
    [throwing, /config\.timeoutMs could not be read: its getter threw/],
  ];
  for (const [config, message] of cases) {
    assert.throws(
      () => new ProfileClient(config),
      (e) => assertProfileError(e, "invalid_config") && message.test(e.message),
      String(message),
    );
  }
  // Numbers arrive as they are: a whole one as an integer, a fraction as it is.
  const shown = JSON.parse(JSON.stringify(new ProfileClient({ ...valid(), rateLimit: 2.5, concurrency: 4 })));
  assert.equal(shown.rateLimit, 2.5);
  assert.equal(shown.concurrency, 4);
});

test("invalid ids reject invalid_input and nothing is sent", async () => {
  await emulator.reset();
  const client = rongcloud(emulator);
  const cases = {
    "not an array": "u1",
    "an object": { 0: "u1", length: 1 },
    "a number among strings": ["u1", 2],
    "null among strings": ["u1", null],
    "an empty string": ["u1", ""],
    "an over-long id": ["u1", "x".repeat(65)],
    "a control character": ["u1", "a\u0000b"],
  };
  for (const [name, ids] of Object.entries(cases)) {
    await assert.rejects(client.getProfiles(ids), (e) => assertProfileError(e, "invalid_input"), name);
  }
  // The ids cross into wasm joined by "\n" (js/shell/ids.js): an id holding one, or an
  // empty one between others, is still refused by its own position.
  for (const [ids, at] of [
    [["u1", "u2\nu3", "u4"], 1],
    [["u1", "", "u2"], 1],
    [["u1", "u2", "u3\n"], 2],
  ]) {
    await assert.rejects(
      client.getProfiles(ids),
      (e) => assertProfileError(e, "invalid_input") && e.message.includes(`ids[${at}]`),
      JSON.stringify(ids),
    );
  }
  await assert.rejects(client.getProfiles(["u1"], { onBatch: "no" }), (e) => assertProfileError(e, "invalid_input"));
  await assert.rejects(client.getProfiles(["u1"], { fields: ["name"] }), (e) => assertProfileError(e, "invalid_input"));
  assert.equal((await emulator.log()).length, 0);
});

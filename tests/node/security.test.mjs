// The security pass over every vendor and every way of giving it credentials:
// - no secret (nor a credential derived from one: a UserSig, an obtained app token) in any
//   error, failure, progress or batch event, serialization or inspection, on every error path;
// - bad ids (control characters, over the vendor's length limit) and http:// to a public host
//   are refused before anything is sent.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { inspect } from "node:util";
import { after, before, test } from "node:test";

import { ProfileClient } from "improfiles";

import { startEmulator } from "improfiles-emulator";
import { OAUTH1, OAUTH2_TOKEN } from "./helpers/kaixin.mjs";
import { APP_KEY, APP_SECRET } from "./helpers/rongcloud.mjs";
import { IDENTIFIER, SDK_APP_ID, SECRET_KEY } from "./helpers/tencent.mjs";
import { APP, CLIENT_ID, CLIENT_SECRET, ORG, STATIC_TOKEN } from "improfiles-emulator/vendors/easemob.mjs";

const TLSSigAPIv2 = createRequire(import.meta.url)("tls-sig-api-v2");
const PROVIDED_USER_SIG = new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY).genUserSig(IDENTIFIER, 86_400);

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const tencentBase = { sdkAppId: SDK_APP_ID, identifier: IDENTIFIER };
const easemobBase = { vendor: "easemob", orgName: ORG, appName: APP };

// Each credential mode, its secrets, a config whose credential the vendor refuses, and ids.
const MODES = [
  {
    name: "rongcloud appSecret",
    config: { vendor: "rongcloud", appKey: APP_KEY, appSecret: APP_SECRET },
    secrets: [APP_SECRET],
    wrong: { appSecret: "wrong-app-secret-123" },
    ids: ["u1", "u2", "ghost"],
  },
  {
    name: "tencent secretKey",
    config: { vendor: "tencent", ...tencentBase, secretKey: SECRET_KEY },
    secrets: [SECRET_KEY],
    wrong: { secretKey: "wrong-secret-key-1234" },
    ids: ["t1", "t2", "nobody"],
  },
  {
    name: "tencent userSig",
    config: { vendor: "tencent", ...tencentBase, userSig: PROVIDED_USER_SIG },
    secrets: [PROVIDED_USER_SIG],
    wrong: { userSig: new TLSSigAPIv2.Api(SDK_APP_ID, "not-the-key").genUserSig(IDENTIFIER, 600) },
    ids: ["t1", "nobody"],
  },
  {
    name: "tencent-attrs secretKey",
    config: { vendor: "tencent-attrs", ...tencentBase, secretKey: SECRET_KEY },
    secrets: [SECRET_KEY],
    wrong: { secretKey: "wrong-secret-key-1234" },
    ids: ["t1", "t3"],
  },
  {
    name: "easemob client credentials",
    config: { ...easemobBase, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    secrets: [CLIENT_SECRET],
    wrong: { clientSecret: "wrong-client-secret" },
    ids: ["user1", "ghost"],
  },
  {
    name: "easemob token",
    config: { ...easemobBase, token: STATIC_TOKEN },
    secrets: [STATIC_TOKEN],
    wrong: { token: "wrong-app-token-123" },
    ids: ["user1", "ghost"],
  },
  {
    name: "kaixin oauth1",
    config: { vendor: "kaixin", oauth1: OAUTH1 },
    secrets: [OAUTH1.consumerSecret, OAUTH1.tokenSecret, OAUTH1.token],
    wrong: { oauth1: { ...OAUTH1, tokenSecret: "wrong-token-secret" } },
    ids: ["1", "2", "13"],
  },
  {
    name: "kaixin oauth2 (xml)",
    config: { vendor: "kaixin", accessToken: OAUTH2_TOKEN, format: "xml" },
    secrets: [OAUTH2_TOKEN],
    wrong: { accessToken: "wrong-oauth2-token" },
    ids: ["1", "13"],
  },
];

/** Secrets plus what the client derived from them on the wire (UserSigs, app tokens). */
function watcher(mode) {
  const secrets = new Set(mode.secrets);
  const record = (url) => {
    const query = new URL(url).searchParams;
    for (const key of ["usersig", "access_token", "oauth_token"]) if (query.get(key)) secrets.add(query.get(key));
  };
  const fetch = async (url, init) => {
    record(url);
    const response = await globalThis.fetch(url, init);
    if (String(url).endsWith("/token") && response.ok) secrets.add((await response.clone().json()).access_token);
    return response;
  };
  return { fetch, record, secrets };
}

function assertClean(label, value, secrets) {
  const texts = [typeof value === "string" ? value : JSON.stringify(value), inspect(value, { depth: 10, showHidden: true })];
  if (value instanceof Error) texts.push(value.message, value.stack ?? "");
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${label} leaks ${secret.slice(0, 6)}…: ${text.slice(0, 300)}`);
  }
}

/** Runs a call with progress and batch hooks; checks whatever it resolves or rejects with. */
async function collect(label, secrets, run) {
  const events = [];
  const outcome = await run({ onProgress: (p) => events.push(p), onBatch: (b) => events.push(b) }).catch((error) => error);
  assertClean(label, outcome, secrets);
  assertClean(`${label} events`, events, secrets);
  return outcome;
}

for (const mode of MODES) {
  test(`no secret on any error path: ${mode.name}`, async () => {
    await emulator.reset();
    const { fetch, record, secrets } = watcher(mode);
    const make = (extra = {}) => new ProfileClient({ ...mode.config, baseUrl: emulator.url, fetch, timeoutMs: 400, retries: 1, ...extra });
    const client = make();
    const good = await collect("a good run", secrets, (o) => client.getProfiles(mode.ids, o));
    assert.ok(good.profiles.length > 0);
    assertClean("the client", client, secrets);
    assertClean("String(client)", String(client), secrets);

    // A config mistake beside the credential.
    assert.throws(
      () => make({ batchSize: 10_000, rateLimit: "fast" }),
      (error) => {
        assertClean("config error", error, secrets);
        return error.code === "invalid_config";
      },
    );

    // Vendor-side faults, a fresh client each (a token mode fetches its token first).
    for (const fault of [
      { kind: "status", status: 500, count: 20 },
      { kind: "stall", ms: 900, count: 20 },
      { kind: "truncate", count: 20 },
      { kind: "html", count: 20 },
      { kind: "rate_limit", count: 20, retryAfter: 0 },
      { kind: "reset", count: 20 },
    ]) {
      await emulator.reset();
      await emulator.fault({ vendor: mode.config.vendor, ...fault });
      const faulted = make();
      const result = await collect(`fault ${fault.kind}`, secrets, (o) => faulted.getProfiles(mode.ids, o));
      assert.ok(result instanceof Error || result.failures.length > 0, `fault ${fault.kind} failed something`);
    }

    // A fetch that rejects with everything it was given: URL, headers and body.
    const leaky = make({
      fetch: async (url, init) => {
        record(url);
        throw new TypeError(`failed ${url} ${JSON.stringify(init?.headers ?? {})} ${init?.body ?? ""}`);
      },
    });
    const leaked = await collect("a fetch rejecting with its request", secrets, (o) => leaky.getProfiles(mode.ids, o));
    if (!(leaked instanceof Error)) assert.ok(leaked.failures.every((f) => f.code === "network" || f.code === "vendor_error"));

    // A credential the vendor refuses.
    await emulator.reset();
    await assert.rejects(make(mode.wrong).getProfiles(mode.ids), (error) => {
      assertClean("auth error", error, secrets);
      assertClean(
        "auth error (wrong credential)",
        error,
        Object.values(mode.wrong)
          .flatMap((v) => (typeof v === "string" ? [v] : Object.values(v)))
          .filter((s) => s.length > 12),
      );
      return error.code === "auth_failed";
    });
  });
}

test("a signer that throws, or returns its secret-bearing error text, leaks nothing", async () => {
  const config = { vendor: "rongcloud", appKey: APP_KEY, baseUrl: emulator.url, retries: 0 };
  const throwing = new ProfileClient({
    ...config,
    signer: () => {
      throw new Error(`no signature: ${APP_SECRET}`);
    },
  });
  const result = await throwing.getProfiles(["u1"]).catch((error) => error);
  assertClean("throwing signer", result, [APP_SECRET]);
  const rejecting = new ProfileClient({ ...config, signer: async () => Promise.reject(new Error(`backend said ${APP_SECRET}`)) });
  assertClean("rejecting signer", await rejecting.getProfiles(["u1"]).catch((error) => error), [APP_SECRET]);
  const echoing = new ProfileClient({ ...config, signer: () => `not a signature: ${APP_SECRET}` });
  assertClean("echoing signer", await echoing.getProfiles(["u1"]).catch((error) => error), [APP_SECRET]);
});

// What each vendor accepts as an id, at most (docs/vendors/).
const LIMITS = [
  { config: MODES[0].config, max: 64, unit: "bytes" },
  { config: MODES[1].config, max: 32, unit: "bytes" },
  { config: MODES[3].config, max: 32, unit: "bytes" },
  { config: MODES[5].config, max: 64, unit: "characters" },
  { config: MODES[6].config, max: 64, unit: "characters" },
];

test("ids with control characters or over each vendor's limit are refused, with nothing sent", async () => {
  for (const { config, max, unit } of LIMITS) {
    let sent = 0;
    const client = new ProfileClient({
      ...config,
      baseUrl: emulator.url,
      retries: 0,
      fetch: () => {
        sent++;
        return Promise.reject(new Error("sent"));
      },
    });
    for (const bad of [
      "ok\u0000",
      "line\nbreak",
      "tab\there",
      "\u007f",
      "\u0085next",
      "x".repeat(max + 1),
      "é".repeat(unit === "bytes" ? max / 2 + 1 : max + 1),
    ]) {
      await assert.rejects(client.getProfiles(["fine1", bad]), (error) => {
        assert.equal(error.code, "invalid_input", `${config.vendor} accepted ${JSON.stringify(bad)}`);
        assert.match(error.message, /ids\[1\]/);
        return true;
      });
    }
    assert.equal(sent, 0, `${config.vendor} sent a request`);
    // At the limit is fine (and is sent).
    await client.getProfiles(["x".repeat(max)]);
    assert.ok(sent > 0);
  }
});

test("http:// is refused for every vendor unless the host is loopback", () => {
  for (const mode of MODES) {
    for (const baseUrl of ["http://api.example.com", "http://10.0.0.1:8080", "http://127.0.0.1.example.com", "ftp://127.0.0.1"]) {
      assert.throws(
        () => new ProfileClient({ ...mode.config, baseUrl }),
        (error) => error.code === "invalid_config",
        `${mode.name} ${baseUrl}`,
      );
    }
    for (const baseUrl of ["http://localhost:1", "http://127.0.0.2:8080", "http://[::1]:9"]) {
      assert.doesNotThrow(() => new ProfileClient({ ...mode.config, baseUrl }), `${mode.name} ${baseUrl}`);
    }
  }
});

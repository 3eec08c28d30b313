import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import { after, before, test } from "node:test";

import { ProfileClient, ProfileError } from "improfiles";
import { user } from "improfiles-emulator/directory.mjs";
import { attrs, hasNoAttrs, isFlaky, isRestricted, tags, verifyUserSig } from "improfiles-emulator/vendors/tencent.mjs";
import { accountingErrors, busiestSecond, startEmulator } from "improfiles-emulator";
import { IDENTIFIER, SDK_APP_ID, SECRET_KEY, accounts, recordingFetch, tencent, userSigOf } from "./helpers/tencent.mjs";

// The official Node signer, used only as an independent reference.
const TLSSigAPIv2 = createRequire(import.meta.url)("tls-sig-api-v2");

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const numberOf = (id) => Number(id.slice(1));

async function bulkRun(vendor, limit, extra = {}) {
  await emulator.reset();
  const ids = accounts(19_000, 1_000);
  assert.equal(new Set(ids).size, 20_000);
  const result = await tencent(emulator, vendor, extra).getProfiles(ids);
  assert.deepEqual(accountingErrors(ids, result), []);

  const log = await emulator.log();
  assert.deepEqual(
    log.filter((e) => e.outcome === "rate_limited" || e.status !== 200),
    [],
    "nothing rejected for rate",
  );
  assert.deepEqual(
    log.filter((e) => !["ok", "transient_91000"].includes(e.outcome)),
    [],
    "every request verified",
  );
  const busiest = busiestSecond(log);
  assert.ok(busiest <= limit, `busiest second had ${busiest} requests`);
  const span = (log.at(-1).at - log[0].at) / 1000;
  console.log(
    `# ${vendor}: 20,000 accounts, ${log.length} requests (${result.stats.retries} retries) in ${span.toFixed(2)} s, busiest second ${busiest} (limit ${limit})`,
  );
  return { ids, result, log };
}

test("portrait_get: 20,000 accounts at 200 requests/s; transient 40006 accounts end as profiles", async () => {
  const { result, log } = await bulkRun("tencent", 200);
  const known = [...Array(19_000).keys()].map((i) => i + 1);
  const restricted = known.filter(isRestricted);
  assert.equal(result.profiles.length, 19_000 - restricted.length);
  const flaky = known.filter((n) => isFlaky(n) && !isRestricted(n));
  const profileIds = new Set(result.profiles.map((p) => p.id));
  assert.ok(flaky.length > 300 && flaky.every((n) => profileIds.has(`t${n}`)), "flaky accounts became profiles");
  const withCode = (code) => result.failures.filter((f) => f.code === code);
  assert.equal(withCode("not_found").length, 1_000);
  assert.ok(withCode("not_found").every((f) => f.id.startsWith("nobody-") && f.vendorCode === 40003));
  assert.deepEqual(
    withCode("permission_denied").map((f) => f.id),
    restricted.map((n) => `t${n}`),
  );
  // Only the accounts that failed were asked for again, and together: every account once,
  // the flaky ones twice, and the retries coalesced into a few requests (not one per response).
  const sent = log.reduce((sum, e) => sum + e.ids, 0);
  assert.equal(sent, 20_000 + known.filter(isFlaky).length);
  assert.ok(log.length - 200 < 40, `${log.length - 200} retry requests`);
});

test("im_get_attr: 20,000 accounts at 100 requests/s; requests failing with 91000 are retried", async () => {
  const { result, log } = await bulkRun("tencent-attrs", 100);
  assert.equal(result.profiles.length, 19_000);
  assert.equal(result.failures.length, 1_000);
  assert.ok(result.failures.every((f) => f.code === "not_found" && f.id.startsWith("nobody-")));
  assert.ok(log.some((e) => e.outcome === "transient_91000"));
  const sample = result.profiles.find((p) => p.id === "t7");
  assert.deepEqual(sample.custom, attrs(user(7)));
  const empty = result.profiles.find((p) => p.id === "t10");
  assert.ok(hasNoAttrs(10));
  assert.deepEqual(empty.custom, {}, "an account with {} is a profile with empty custom");
});

test("a userSig made by the official tls-sig-api-v2 package works as config.userSig", async () => {
  await emulator.reset();
  const userSig = new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY).genUserSig(IDENTIFIER, 600);
  for (const vendor of ["tencent", "tencent-attrs"]) {
    const client = new ProfileClient({ vendor, sdkAppId: SDK_APP_ID, identifier: IDENTIFIER, userSig, baseUrl: emulator.url });
    const ids = accounts(1_900, 100);
    const result = await client.getProfiles(ids);
    assert.deepEqual(accountingErrors(ids, result), []);
    assert.equal(result.failures.filter((f) => f.code === "not_found").length, 100);
    assert.ok(!JSON.stringify(client).includes(userSig));
  }
  const log = await emulator.log();
  assert.ok(
    log.every((e) => e.outcome === "ok" || e.outcome === "transient_91000"),
    "the emulator accepted every request",
  );
});

test("portrait_get normalizes every standard tag; options.fields narrows the TagList", async () => {
  const ids = ["t3", "t8", "t12", "nobody"];
  const result = await tencent(emulator).getProfiles(ids, { includeRaw: true });
  for (const profile of result.profiles) {
    const u = user(numberOf(profile.id));
    const t = tags(u);
    assert.equal(profile.vendor, "tencent");
    assert.equal(profile.name, u.name);
    assert.equal(profile.gender, ["unknown", "male", "female"][u.gender]);
    assert.equal(profile.birthday, u.birthday);
    assert.equal(profile.location, u.location);
    assert.equal(profile.signature, `I'm ${u.name}`);
    assert.equal(profile.avatarUrl, u.avatar);
    assert.equal(profile.level, u.level);
    assert.equal(profile.role, u.role);
    assert.equal(profile.custom.Tag_Profile_IM_AllowType, t.Tag_Profile_IM_AllowType);
    assert.equal(profile.custom.Tag_Profile_IM_AdminForbidType, "AdminForbid_Type_None");
    assert.equal(profile.raw.To_Account, profile.id);
  }
  assert.deepEqual(
    result.failures.map((f) => [f.id, f.code]),
    [["nobody", "not_found"]],
  );

  const narrow = await tencent(emulator).getProfiles(["t3"], { fields: ["Tag_Profile_IM_Nick", "Tag_Profile_Custom_Test"] });
  const [p] = narrow.profiles;
  assert.equal(p.name, user(3).name);
  assert.deepEqual(p.custom, { Tag_Profile_Custom_Test: "Custom Data3" });
  assert.equal(p.level, undefined);

  const configured = await tencent(emulator, "tencent", { fields: ["Tag_Profile_IM_Level"] }).getProfiles(["t3"]);
  assert.deepEqual([configured.profiles[0].level, configured.profiles[0].name], [user(3).level, undefined]);
});

test("the module's UserSig verifies independently and matches tls-sig-api-v2 field by field", async () => {
  const realNow = Date.now;
  const fixed = 1_760_000_000_123;
  Date.now = () => fixed;
  try {
    const { fetch, urls } = recordingFetch();
    await tencent(emulator, "tencent-attrs", { fetch, userSigTtlSeconds: 3600 }).getProfiles(["t1"]);
    const ours = userSigOf(urls[0]);
    const verdict = verifyUserSig(ours, {
      sdkAppId: SDK_APP_ID,
      identifier: IDENTIFIER,
      secretKey: SECRET_KEY,
      nowSeconds: Math.floor(fixed / 1000),
    });
    assert.equal(verdict.ok, true, verdict.message);

    const theirs = new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY).genUserSig(IDENTIFIER, 3600);
    const decode = (sig) =>
      JSON.parse(inflateSync(Buffer.from(sig.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "="), "base64")).toString());
    assert.deepEqual(decode(ours), decode(theirs));
    assert.deepEqual(decode(ours), {
      "TLS.ver": "2.0",
      "TLS.identifier": IDENTIFIER,
      "TLS.sdkappid": SDK_APP_ID,
      "TLS.expire": 3600,
      "TLS.time": Math.floor(fixed / 1000),
      "TLS.sig": decode(theirs)["TLS.sig"],
    });
  } finally {
    Date.now = realNow;
  }
});

test("requests carry sdkappid, identifier, a fresh 32-bit random and contenttype=json; regions pick hosts", async () => {
  const { fetch, urls } = recordingFetch();
  const ids = Array.from({ length: 1_000 }, (_, i) => `t${i + 1}`);
  await new ProfileClient({
    vendor: "tencent-attrs",
    sdkAppId: SDK_APP_ID,
    identifier: IDENTIFIER,
    secretKey: SECRET_KEY,
    region: "singapore",
    fetch,
  }).getProfiles(ids);
  assert.equal(urls.length, 10);
  const randoms = new Set();
  for (const raw of urls) {
    const url = new URL(raw);
    assert.equal(url.origin + url.pathname, "https://adminapisgp.im.qcloud.com/v4/all_member_push/im_get_attr");
    assert.deepEqual([...url.searchParams.keys()], ["sdkappid", "identifier", "usersig", "random", "contenttype"]);
    assert.equal(url.searchParams.get("sdkappid"), String(SDK_APP_ID));
    assert.equal(url.searchParams.get("identifier"), IDENTIFIER);
    assert.equal(url.searchParams.get("contenttype"), "json");
    const random = Number(url.searchParams.get("random"));
    assert.ok(Number.isInteger(random) && random >= 0 && random <= 4294967295);
    randoms.add(random);
  }
  assert.equal(randoms.size, 10, "a fresh random per request");
  for (const [region, host] of [
    ["china", "console.tim.qq.com"],
    ["seoul", "adminapikr.im.qcloud.com"],
    ["frankfurt", "adminapiger.im.qcloud.com"],
    ["silicon-valley", "adminapiusa.im.qcloud.com"],
    ["jakarta", "adminapiidn.im.qcloud.com"],
    [undefined, "console.tim.qq.com"],
  ]) {
    const probe = recordingFetch();
    await new ProfileClient({
      vendor: "tencent-attrs",
      sdkAppId: SDK_APP_ID,
      identifier: IDENTIFIER,
      secretKey: SECRET_KEY,
      region,
      fetch: probe.fetch,
    }).getProfiles(["t1"]);
    assert.equal(new URL(probe.urls[0]).host, host, String(region));
  }
});

test("bad config or input is refused before anything is sent", async () => {
  const { fetch, urls } = recordingFetch();
  const base = { vendor: "tencent", sdkAppId: SDK_APP_ID, identifier: IDENTIFIER, secretKey: SECRET_KEY, fetch };
  const badConfigs = [
    { ...base, sdkAppId: String(SDK_APP_ID) },
    { ...base, identifier: undefined },
    { ...base, secretKey: undefined },
    { ...base, userSig: "also-given" },
    { ...base, region: "atlantis" },
    { ...base, fields: ["Tag_Profile_IM_Nickname"] },
    { ...base, baseUrl: "http://console.tim.qq.com" },
    { ...base, batchSize: 101 },
  ];
  for (const config of badConfigs) {
    assert.throws(
      () => new ProfileClient(config),
      (e) => e instanceof ProfileError && e.code === "invalid_config" && !e.message.includes(SECRET_KEY),
      JSON.stringify({ ...config, fetch: undefined }),
    );
  }
  const client = new ProfileClient(base);
  await assert.rejects(client.getProfiles(["t1"], { fields: ["Tag_Profile_Custom_bad-name"] }), { code: "invalid_input" });
  await assert.rejects(client.getProfiles(["an-account-id-longer-than-32-bytes"]), { code: "invalid_input" });
  await assert.rejects(client.getProfiles(["bad\u0000id"]), { code: "invalid_input" });
  await assert.rejects(new ProfileClient({ ...base, vendor: "tencent-attrs" }).getProfiles(["t1"], { fields: ["sex"] }), {
    code: "invalid_input",
  });
  assert.deepEqual(urls, []);
});

test("an expired userSig rejects auth_failed without a request; a wrong key is auth_failed from the server", async () => {
  const { fetch, urls } = recordingFetch();
  const realNow = Date.now;
  Date.now = () => realNow() - 2 * 86_400_000;
  const stale = new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY).genUserSig(IDENTIFIER, 3600);
  Date.now = realNow;
  const expired = new ProfileClient({ vendor: "tencent", sdkAppId: SDK_APP_ID, identifier: IDENTIFIER, userSig: stale, fetch });
  await assert.rejects(expired.getProfiles(["t1"]), (e) => e.code === "auth_failed" && !e.message.includes(stale));
  assert.deepEqual(urls, []);

  await emulator.reset();
  const wrong = tencent(emulator, "tencent", { secretKey: "not-the-right-key" });
  await assert.rejects(wrong.getProfiles(["t1", "t2"]), (e) => {
    assert.equal(e.code, "auth_failed");
    assert.equal(e.vendorCode, 70009);
    assert.ok(!e.message.includes("not-the-right-key"));
    return true;
  });
  const notAdmin = tencent(emulator, "tencent", { identifier: "t5" });
  await assert.rejects(notAdmin.getProfiles(["t1"]), { code: "auth_failed", vendorCode: 40004 });
});

test("Tencent's frequency-limit reply pauses the client and the call still completes", async () => {
  await emulator.reset();
  await emulator.fault({ vendor: "tencent", kind: "rate_limit", count: 2 });
  const ids = Array.from({ length: 300 }, (_, i) => `t${i + 1}`);
  const result = await tencent(emulator).getProfiles(ids);
  assert.deepEqual(accountingErrors(ids, result), []);
  assert.equal(result.failures.filter((f) => f.code !== "permission_denied").length, 0);
  assert.ok(result.stats.retries >= 2);
});

test("no secretKey or UserSig in failures, errors or serialization, even from a fetch that rejects with the URL", async () => {
  const leaky = async (url) => {
    throw new TypeError(`connect failed for ${url}`);
  };
  const client = tencent(emulator, "tencent", { fetch: leaky, retries: 0 });
  const result = await client.getProfiles(["t1", "t2"]);
  assert.equal(result.failures.length, 2);
  const text = JSON.stringify(result) + JSON.stringify(client) + String(client);
  assert.ok(text.includes("[redacted]"), text);
  assert.ok(!/usersig=[A-Za-z0-9*_-]{20,}/.test(text), text);
  assert.ok(!text.includes(SECRET_KEY));
  const described = client.toJSON();
  assert.equal(described.credential, "secretKey");
  assert.equal(described.sdkAppId, SDK_APP_ID);
});

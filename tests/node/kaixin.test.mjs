import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ProfileClient, ProfileError } from "improfiles";
import { user } from "improfiles-emulator/directory.mjs";
import { isPrivate, record } from "improfiles-emulator/vendors/kaixin.mjs";
import { accountingErrors, busiestSecond, startEmulator } from "improfiles-emulator";
import { OAUTH1, OAUTH2_TOKEN, kaixin } from "./helpers/kaixin.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const ALL_FIELDS = [
  "name",
  "gender",
  "hometown",
  "city",
  "status",
  "logo120",
  "logo50",
  "birthday",
  "bodyform",
  "blood",
  "marriage",
  "trainwith",
  "interest",
  "favbook",
  "favmovie",
  "favtv",
  "idol",
  "motto",
  "wishlist",
  "intro",
  "education",
  "career",
  "isStar",
  "online",
  "pinyin",
];

/** 950 known uids (some private), 50 nobody has, a few listed twice. */
function uids() {
  const ids = [];
  for (let n = 1; n <= 950; n++) {
    ids.push(String(n));
    if (n % 100 === 0) ids.push(String(n));
  }
  for (let i = 1; i <= 50; i++) ids.push(String(900_000 + i));
  return ids;
}

test("1,000 uids through JSON and through XML (OAuth 1.0a) give identical normalized results", async () => {
  await emulator.reset();
  await emulator.limits({ enforce: false }); // this test is about formats, not pacing
  const ids = uids();
  const results = {};
  for (const format of ["json", "xml"]) {
    results[format] = await kaixin(emulator, { format, fields: ALL_FIELDS, rateLimit: 100 }).getProfiles(ids);
    assert.deepEqual(accountingErrors(ids, results[format]), [], format);
  }
  assert.deepEqual(results.xml.profiles, results.json.profiles);
  assert.deepEqual(results.xml.failures, results.json.failures);
  const privateCount = [...Array(950).keys()].map((i) => i + 1).filter(isPrivate).length;
  assert.equal(results.json.profiles.length, 950 - privateCount);
  assert.ok(results.json.failures.every((f) => f.code === "not_found"));
  const log = await emulator.log();
  assert.equal(log.length, 40, "20 requests of 50 uids per format");
  assert.ok(
    log.every((e) => e.outcome === "ok"),
    "the emulator verified every OAuth 1.0a signature",
  );

  const p = results.xml.profiles.find((x) => x.id === "7");
  const r = record(user(7));
  assert.equal(p.vendor, "kaixin");
  assert.equal(p.name, r.name);
  assert.equal(p.gender, { 0: "male", 1: "female" }[r.gender] ?? "unknown");
  assert.equal(p.location, r.city);
  assert.equal(p.avatarUrl, r.logo120);
  assert.equal(p.birthday, r.birthday);
  assert.deepEqual(p.custom.education, r.education);
  assert.equal(p.custom.motto, "成功没有捷径 <1>");
  assert.equal(p.custom.trainwith, "喜欢运动的 & 爱读书的");
  assert.equal(p.custom.logo50, r.logo50);
});

test("the default basic fields, the documented 10 requests/s, and logo50 as the avatar", async () => {
  await emulator.reset();
  const ids = Array.from({ length: 600 }, (_, i) => String(i + 1));
  const result = await kaixin(emulator).getProfiles(ids);
  assert.deepEqual(accountingErrors(ids, result), []);
  const p = result.profiles[0];
  assert.deepEqual(Object.keys(p.custom), ["logo50"]);
  assert.equal(p.avatarUrl, p.custom.logo50);
  const log = await emulator.log();
  assert.equal(log.length, 12);
  assert.ok(log.every((e) => e.outcome === "ok"));
  assert.ok(busiestSecond(log) <= 10, `busiest second ${busiestSecond(log)}`);
});

test("OAuth 2 access_token path, and options.fields per call", async () => {
  const client = new ProfileClient({ vendor: "kaixin", accessToken: OAUTH2_TOKEN, baseUrl: emulator.url, format: "xml" });
  const result = await client.getProfiles(["3", "4", "900001"], { fields: ["name", "city"] });
  assert.deepEqual(
    result.profiles.map((p) => [p.id, p.name, p.location]),
    [
      ["3", user(3).name, user(3).location],
      ["4", user(4).name, user(4).location],
    ],
  );
  assert.deepEqual(
    result.failures.map((f) => [f.id, f.code]),
    [["900001", "not_found"]],
  );
  assert.deepEqual(result.profiles[0].custom, {});
});

test("refused credentials reject auth_failed; the rate-limit 400 is retried", async () => {
  await emulator.reset();
  const wrong = kaixin(emulator, { oauth1: { ...OAUTH1, tokenSecret: "not-the-secret" } });
  await assert.rejects(
    wrong.getProfiles(["1"]),
    (e) => e.code === "auth_failed" && e.status === 401 && !e.message.includes("not-the-secret"),
  );
  const badToken = new ProfileClient({ vendor: "kaixin", accessToken: "expired-token", baseUrl: emulator.url });
  await assert.rejects(badToken.getProfiles(["1"]), { code: "auth_failed" });

  await emulator.fault({ vendor: "kaixin", kind: "rate_limit", count: 2 });
  const result = await kaixin(emulator).getProfiles(["1", "2"]);
  assert.equal(result.profiles.length, 2);
  assert.equal(result.stats.retries, 2);
});

test("bad config or input is refused before anything is sent; no secret in errors or serialization", async () => {
  const urls = [];
  const fetch = async (url) => {
    urls.push(url);
    throw new TypeError(`boom ${url}`);
  };
  const bad = [
    { vendor: "kaixin", fetch },
    { vendor: "kaixin", fetch, oauth1: { ...OAUTH1, tokenSecret: undefined } },
    { vendor: "kaixin", fetch, oauth1: OAUTH1, accessToken: OAUTH2_TOKEN },
    { vendor: "kaixin", fetch, accessToken: OAUTH2_TOKEN, fields: ["uid", "nickname"] },
    { vendor: "kaixin", fetch, accessToken: OAUTH2_TOKEN, format: "csv" },
    { vendor: "kaixin", fetch, accessToken: OAUTH2_TOKEN, baseUrl: "http://api.kaixin001.com" },
    { vendor: "kaixin", fetch, accessToken: OAUTH2_TOKEN, batchSize: 51 },
  ];
  for (const config of bad) {
    assert.throws(
      () => new ProfileClient(config),
      (e) =>
        e instanceof ProfileError &&
        e.code === "invalid_config" &&
        !e.message.includes(OAUTH1.consumerSecret) &&
        !e.message.includes(OAUTH2_TOKEN),
    );
  }
  const client = new ProfileClient({ vendor: "kaixin", fetch, oauth1: OAUTH1, retries: 0 });
  await assert.rejects(client.getProfiles(["1"], { fields: ["shoe_size"] }), { code: "invalid_input" });
  await assert.rejects(client.getProfiles(["1,2"]), { code: "invalid_input" });
  assert.deepEqual(urls, []);

  const result = await client.getProfiles(["1"]);
  assert.equal(urls.length, 1);
  const printed = JSON.stringify(result) + JSON.stringify(client);
  for (const secret of [OAUTH1.consumerSecret, OAUTH1.token, OAUTH1.tokenSecret]) assert.ok(!printed.includes(secret), secret);
  const oauth2 = new ProfileClient({ vendor: "kaixin", fetch, accessToken: OAUTH2_TOKEN, retries: 0 });
  const printed2 = JSON.stringify(await oauth2.getProfiles(["1"])) + JSON.stringify(oauth2);
  assert.ok(!printed2.includes(OAUTH2_TOKEN), printed2);
});

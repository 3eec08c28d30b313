// client.parseResponse: one response, read without sending anything, every id accounted for.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ProfileClient, ProfileError } from "improfiles";

const rongcloud = new ProfileClient({ vendor: "rongcloud", appKey: "k", appSecret: "s" });
const tencent = new ProfileClient({ vendor: "tencent", sdkAppId: 1400000001, identifier: "admin", secretKey: "k" });

test("a good response: profiles, per-id failures, and ids it does not mention", () => {
  const body = JSON.stringify({ code: 200, userList: [{ userId: "u1", userProfile: { name: "Ann", gender: 2 } }, { userId: "stray" }] });
  const result = rongcloud.parseResponse(["u1", "u2"], { status: 200, body }, { includeRaw: true });
  assert.deepEqual(
    result.profiles.map((p) => [p.id, p.name, p.gender]),
    [["u1", "Ann", "female"]],
  );
  assert.ok(result.profiles[0].raw);
  assert.deepEqual(
    result.failures.map((f) => [f.id, f.code]),
    [["u2", "not_found"]],
  );
});

test("Tencent's transient per-account failures, and accounts left out, come back as retryable failures", () => {
  const body = JSON.stringify({
    ActionStatus: "OK",
    ErrorCode: 0,
    UserProfileItem: [
      { To_Account: "t1", ResultCode: 0, ProfileItem: [{ Tag: "Tag_Profile_IM_Nick", Value: "T" }] },
      { To_Account: "t2", ResultCode: 40006, ResultInfo: "try again" },
    ],
  });
  const { profiles, failures } = tencent.parseResponse(["t1", "t2", "t3"], { status: 200, body });
  assert.deepEqual(
    profiles.map((p) => p.name),
    ["T"],
  );
  assert.deepEqual(
    failures.map((f) => [f.id, f.code, f.retryable]),
    [
      ["t2", "vendor_error", true],
      ["t3", "vendor_error", true],
    ],
  );
});

test("a failed request fails every id; a refused credential and bad arguments throw", () => {
  const limited = rongcloud.parseResponse(["u1", "u2"], { status: 429, body: '{"code":1008}', headers: { "Retry-After": "2" } });
  assert.deepEqual(
    limited.failures.map((f) => [f.code, f.retryable]),
    [
      ["rate_limited", true],
      ["rate_limited", true],
    ],
  );
  assert.throws(
    () => rongcloud.parseResponse(["u1"], { status: 401, body: '{"code":1004}' }),
    (e) => e instanceof ProfileError && e.code === "auth_failed",
  );
  assert.throws(
    () => rongcloud.parseResponse("u1", { status: 200, body: "" }),
    (e) => e.code === "invalid_input",
  );
  assert.throws(
    () => rongcloud.parseResponse(["u1"], { status: 200 }),
    (e) => e.code === "invalid_input",
  );
  assert.throws(
    () => rongcloud.parseResponse(["u1"], { status: 42, body: "" }),
    (e) => e.code === "invalid_input",
  );
});

test("vendor fields beyond the common shape come out as JSON.parse reads them, in the vendor's order", () => {
  // Kept as the vendor's own text in wasm and written out as it came (json/src/):
  // nested values, escapes, big and fractional numbers, a lone surrogate, all as JSON.parse
  // makes them; a key given again (userExtProfile after userProfile) keeps its place.
  const item =
    '{"userId":"u1","userProfile":{"z":1,"name":"Ann","nested":{"b":[1,2.50,{"c":"\\u00e9\\ud83d"}]},"big":12345678901234567890,"tiny":1e-7},"userExtProfile":{"z":"again","ext":null}}';
  const body = `{"code":200,"userList":[${item}]}`;
  const [profile] = rongcloud.parseResponse(["u1"], { status: 200, body }, { includeRaw: true }).profiles;
  const sent = JSON.parse(item);
  assert.equal(profile.name, "Ann");
  assert.deepEqual(Object.keys(profile.custom), ["z", "nested", "big", "tiny", "ext"]);
  assert.deepEqual(profile.custom, { z: "again", nested: sent.userProfile.nested, big: sent.userProfile.big, tiny: 1e-7, ext: null });
  assert.deepEqual(profile.raw, sent);
});

test("end-user text comes out whole and in its place, and a vendor key __proto__ is a member", () => {
  // Results cross from wasm on a tape (json/src/tape.rs, js/shell/tape.js): every string a
  // slice of one text, at offsets counted in UTF-16 units, so text after an emoji must still
  // land where it belongs; and a key is set on a plain object, where "__proto__" would set
  // the prototype, which JSON.parse never does.
  const first =
    '{"__proto__":"own","1":"numeric","emoji":"😀👍🏽","after":"张伟","ctl":"a\\u0001\\u001fb","formula":"=HYPERLINK(\\"x\\")"}';
  const second = '{"name":"=1+1 😀","portraitUri":"https://x/头像.png","x":"\\"quoted\\" \\\\ back"}';
  const body = `{"code":200,"userList":[{"userId":"u1","userProfile":${first}},{"userId":"u2","userProfile":${second}}]}`;
  const [one, two] = rongcloud.parseResponse(["u1", "u2"], { status: 200, body }).profiles;
  assert.equal(Object.getPrototypeOf(one.custom), Object.prototype);
  assert.ok(Object.hasOwn(one.custom, "__proto__"));
  assert.equal(JSON.stringify(one.custom), JSON.stringify(JSON.parse(first)));
  assert.deepEqual([two.id, two.name, two.avatarUrl, two.custom.x], ["u2", "=1+1 😀", "https://x/头像.png", '"quoted" \\ back']);
});

test("includeRaw gives each Easemob entity and Kaixin001 user its own record, past items that are not objects", () => {
  const easemob = new ProfileClient({ vendor: "easemob", baseUrl: "https://a1.easemob.com", orgName: "o", appName: "a", token: "t" });
  const entities = [{ username: "ann", nickname: "Ann", extra: [1] }, "x", { username: "bob" }];
  const fromEasemob = easemob.parseResponse(["ann", "bob"], { status: 200, body: JSON.stringify({ entities }) }, { includeRaw: true });
  assert.deepEqual(
    fromEasemob.profiles.map((p) => p.raw),
    [entities[0], entities[2]],
  );
  const kaixin = new ProfileClient({ vendor: "kaixin", accessToken: "t" });
  const users = [7, { uid: "1", name: "一", city: "北京" }, { uid: "2", name: "二" }];
  const fromKaixin = kaixin.parseResponse(["1", "2"], { status: 200, body: JSON.stringify({ users }) }, { includeRaw: true });
  assert.deepEqual(
    fromKaixin.profiles.map((p) => p.raw),
    [users[1], users[2]],
  );
});

test("numbers past the fast path read and write as the JS engine reads and writes them, in every build", async () => {
  // The .wasm hands these to the engine's Number() and String() (json/src/decimal.rs):
  // more than 19 digits, a power of ten past 22, a subnormal, and one past a double.
  const level = "1.00000000000000011102230246251565404236316680908203126";
  const name = "0.1000000000000000055511151231257827";
  const body = `{"code":200,"userList":[
    {"userId":"u1","userProfile":{"level":${level},"role":"2.4703282292062328e-324","name":${name},"email":1.50e300}},
    {"userId":"u2","userProfile":{"level":"1e400","role":-1.5e-30}}]}`;
  const { ProfileClient: RongCloudOnly } = await import("improfiles/rongcloud");
  for (const Client of [ProfileClient, RongCloudOnly]) {
    const client = new Client({ vendor: "rongcloud", appKey: "k", appSecret: "s", rateLimit: 3e-30 });
    const [u1, u2] = client.parseResponse(["u1", "u2"], { status: 200, body }).profiles;
    assert.equal(u1.level, Number(level));
    assert.equal(u1.role, 5e-324);
    assert.equal(u1.name, String(Number(name)));
    assert.equal(u1.email, "1.5e+300");
    assert.equal("level" in u2, false, "past a double: no number");
    assert.equal(u2.role, -1.5e-30);
    assert.equal(JSON.parse(JSON.stringify(client)).rateLimit, 3e-30);
  }
});

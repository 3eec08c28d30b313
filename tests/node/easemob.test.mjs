import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ProfileClient, ProfileError } from "improfiles";
import { user } from "improfiles-emulator/directory.mjs";
import { CLIENT_SECRET, STATIC_TOKEN, USERS, entity } from "improfiles-emulator/vendors/easemob.mjs";
import { accountingErrors, busiestSecond, startEmulator } from "improfiles-emulator";
import { easemob, easemobWithToken } from "./helpers/easemob.mjs";

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const usernames = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => `user${from + i}`);

test("listAllProfiles returns the whole directory, in creation order", async () => {
  await emulator.reset();
  let pages = 0;
  let last;
  const result = await easemob(emulator).listAllProfiles({ onBatch: () => pages++, onProgress: (p) => (last = p) });
  assert.equal(result.profiles.length, USERS);
  assert.deepEqual(
    result.profiles.map((p) => p.id),
    usernames(1, USERS),
  );
  assert.deepEqual(result.failures, []);
  assert.equal(pages, 25);
  assert.equal(result.stats.requests, 25);
  assert.equal(result.stats.profiles, USERS);
  assert.equal(last.done, USERS);
  const p = result.profiles[14];
  const e = entity(user(15));
  assert.deepEqual(
    { vendor: p.vendor, name: p.name, createdAt: p.createdAt, updatedAt: p.updatedAt, active: p.active },
    { vendor: "easemob", name: e.nickname, createdAt: e.created, updatedAt: e.modified, active: e.activated },
  );
  assert.deepEqual(p.custom, {
    uuid: e.uuid,
    type: "user",
    notification_display_style: 1,
    notification_no_disturbing: true,
    notification_no_disturbing_start: "22",
    notification_no_disturbing_end: "7",
  });
  const log = await emulator.log();
  assert.equal(log.filter((e) => e.outcome === "token").length, 1, "one token for the whole listing");
  assert.ok(log.every((e) => ["ok", "token"].includes(e.outcome)));
});

test("listProfiles returns one page and its cursor; max and abort stop listAllProfiles early", async () => {
  const client = easemobWithToken(emulator);
  const first = await client.listProfiles();
  assert.deepEqual(
    first.profiles.map((p) => p.id),
    usernames(1, 10),
  );
  const second = await client.listProfiles({ pageSize: 3, cursor: first.cursor });
  assert.deepEqual(
    second.profiles.map((p) => p.id),
    usernames(11, 13),
  );
  assert.equal(typeof second.cursor, "string");

  await emulator.reset();
  const capped = await client.listAllProfiles({ pageSize: 100, max: 250 });
  assert.deepEqual(
    capped.profiles.map((p) => p.id),
    usernames(1, 250),
  );
  assert.deepEqual(
    (await emulator.log()).map((e) => e.ids),
    [100, 100, 50],
    "the last page asks only for what is missing",
  );

  const controller = new AbortController();
  const aborted = client.listAllProfiles({ pageSize: 10, signal: controller.signal, onBatch: () => controller.abort() });
  await assert.rejects(aborted, { code: "aborted" });
  const empty = await client.listAllProfiles({ max: 0 });
  assert.equal(empty.profiles.length, 0);
});

test("listAllProfiles with collect: false streams pages through onBatch", async () => {
  const ids = [];
  const result = await easemobWithToken(emulator).listAllProfiles({
    collect: false,
    onBatch: (b) => ids.push(...b.profiles.map((p) => p.id)),
  });
  assert.deepEqual(result.profiles, []);
  assert.equal(result.stats.profiles, USERS);
  assert.deepEqual(ids, usernames(1, USERS));
});

test("getProfiles looks each user up; unknown users are not_found; 100 requests/s", async () => {
  await emulator.reset();
  const ids = [...usernames(1, 240), "nobody-1", "user1", "nobody-2", "USER7", ...usernames(2_491, 2_510)];
  const result = await easemob(emulator).getProfiles(ids);
  assert.deepEqual(accountingErrors(ids, result), []);
  assert.equal(result.profiles.length, 251);
  assert.deepEqual(result.failures.map((f) => [f.id, f.code, f.vendorCode]).slice(0, 2), [
    ["nobody-1", "not_found", "service_resource_not_found"],
    ["nobody-2", "not_found", "service_resource_not_found"],
  ]);
  assert.equal(result.failures.length, 12);
  assert.equal(result.profiles.find((p) => p.id === "USER7").name, user(7).name, "usernames are case-insensitive");
  const log = await emulator.log();
  assert.ok(busiestSecond(log) <= 100, `busiest second ${busiestSecond(log)}`);
  assert.deepEqual(
    log.filter((e) => e.outcome === "rate_limited"),
    [],
  );
});

test("a revoked token causes exactly one token request, even with 8 requests in flight", async () => {
  await emulator.reset();
  let revoked = false;
  const ids = usernames(1, 300);
  const result = await easemob(emulator).getProfiles(ids, {
    onProgress: (p) => {
      if (p.done >= 100 && !revoked) {
        revoked = true;
        return emulator.vendorControl("easemob", { revokeTokens: true });
      }
    },
  });
  assert.deepEqual(accountingErrors(ids, result), []);
  assert.equal(result.profiles.length, 300);
  const log = await emulator.log();
  assert.ok(
    log.some((e) => e.status === 401),
    "some requests met the revoked token",
  );
  assert.equal(log.filter((e) => e.outcome === "token").length, 2, "the first token and one renewal");
});

test("an expiring token is renewed once, before it runs out", async () => {
  await emulator.reset();
  await emulator.vendorControl("easemob", { tokenTtlSeconds: 2 });
  const client = easemob(emulator);
  await client.getProfiles(usernames(1, 20));
  await new Promise((r) => setTimeout(r, 1_200));
  await client.getProfiles(usernames(21, 40));
  const log = await emulator.log();
  assert.equal(log.filter((e) => e.outcome === "token").length, 2);
  assert.deepEqual(
    log.filter((e) => e.status === 401),
    [],
    "renewed before the server refused it",
  );
});

test("refused credentials reject auth_failed; a static token that is refused too", async () => {
  await assert.rejects(
    easemob(emulator, { clientSecret: "wrong-secret" }).getProfiles(["user1"]),
    (e) => e.code === "auth_failed" && !e.message.includes("wrong-secret"),
  );
  await assert.rejects(easemobWithToken(emulator, { token: "expired-token" }).getProfiles(["user1"]), { code: "auth_failed", status: 401 });
  await assert.rejects(easemobWithToken(emulator, { appName: "no-such-app" }).listProfiles(), {
    code: "auth_failed",
    vendorCode: "organization_application_not_found",
  });
  await assert.rejects(easemobWithToken(emulator).listAllProfiles({ pageSize: 0 }), { code: "invalid_input" });
  await assert.rejects(easemobWithToken(emulator).listProfiles({ pageSize: 101 }), { code: "invalid_input" });
});

test("429 is retried after its pause; other vendors reject listing as unsupported", async () => {
  await emulator.reset();
  await emulator.fault({ vendor: "easemob", kind: "rate_limit", count: 2, retryAfter: 1 });
  const result = await easemobWithToken(emulator).getProfiles(usernames(1, 5));
  assert.equal(result.profiles.length, 5);
  assert.ok(result.stats.retries >= 2);
  const rongcloud = new ProfileClient({ vendor: "rongcloud", appKey: "k", appSecret: "s" });
  await assert.rejects(rongcloud.listAllProfiles(), { code: "unsupported" });
  await assert.rejects(rongcloud.listProfiles({ pageSize: 5 }), { code: "unsupported" });
  // Refused for what it is before its options are read, in every build alike.
  await assert.rejects(rongcloud.listProfiles({ pageSize: -1, nope: 1 }), { code: "unsupported" });
  assert.throws(() => rongcloud.listPages("not an object"), { code: "unsupported" });
});

test("bad config is refused before anything is sent; no secret in errors or serialization", async () => {
  const urls = [];
  const fetch = async (url) => {
    urls.push(url);
    throw new TypeError(`offline ${url}`);
  };
  const base = { vendor: "easemob", orgName: "o", appName: "a", baseUrl: "https://a1.easemob.com", token: STATIC_TOKEN, fetch };
  for (const config of [
    { ...base, orgName: undefined },
    { ...base, appName: undefined },
    { ...base, baseUrl: undefined },
    { ...base, token: undefined },
    { ...base, token: undefined, clientId: "id" },
    { ...base, clientId: "id", clientSecret: CLIENT_SECRET },
    { ...base, orgName: "a/b" },
  ]) {
    assert.throws(
      () => new ProfileClient(config),
      (e) =>
        e instanceof ProfileError && e.code === "invalid_config" && !e.message.includes(STATIC_TOKEN) && !e.message.includes(CLIENT_SECRET),
    );
  }
  assert.deepEqual(urls, []);
  const client = new ProfileClient({ ...base, token: undefined, clientId: "id", clientSecret: CLIENT_SECRET, retries: 0 });
  const result = await client.getProfiles(["user1", "user2"]);
  assert.equal(result.failures.length, 2);
  const printed = JSON.stringify(result) + JSON.stringify(client) + JSON.stringify(easemobWithToken(emulator));
  assert.ok(!printed.includes(CLIENT_SECRET) && !printed.includes(STATIC_TOKEN), printed);
});

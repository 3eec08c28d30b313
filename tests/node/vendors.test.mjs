// vendors(): each vendor module's description of itself, which the command line and the console
// are made from, checked against what a client accepts.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ProfileClient, tencentUserSig, vendors } from "improfiles";
import { ACCOUNTS } from "improfiles-emulator";

import { fieldValue, setField } from "../../pkg/fields.mjs";

test("every vendor lists its modes, browser-safe first, and each mode's keys make a client", () => {
  const described = vendors();
  assert.deepEqual(
    described.map((v) => v.vendor),
    ["rongcloud", "tencent", "tencent-attrs", "easemob", "kaixin"],
  );
  for (const vendor of described) {
    assert.equal(vendor.modes[0].browserSafe, true, vendor.vendor);
    assert.ok(
      vendor.modes.some((m) => !m.browserSafe),
      vendor.vendor,
    );
    for (const mode of vendor.modes) {
      const config = { vendor: vendor.vendor, baseUrl: "http://127.0.0.1:9" };
      for (const field of [...vendor.account, ...mode.fields]) {
        if (field.optional) continue;
        const { sdkAppId, identifier, secretKey } = ACCOUNTS.tencent;
        const value =
          field.kind === "function"
            ? () => "0".repeat(40)
            : field.key === "userSig"
              ? tencentUserSig({ sdkAppId, identifier, secretKey })
              : fieldValue(ACCOUNTS[vendor.vendor], field.key);
        assert.notEqual(value, undefined, `${vendor.vendor} ${field.key}`);
        setField(config, field.key, value);
      }
      const client = new ProfileClient(config);
      assert.equal(client.vendor, vendor.vendor);
      const printed = JSON.stringify(client);
      for (const field of mode.fields.filter((f) => f.kind === "secret"))
        assert.ok(!printed.includes(fieldValue(config, field.key)), `${vendor.vendor}: ${field.key} printed`);
    }
  }
});

test("each environment variable names one key, and only what the command line can read has one", () => {
  const seen = new Map();
  for (const vendor of vendors()) {
    for (const field of [...vendor.account, ...vendor.modes.flatMap((m) => m.fields)]) {
      if (field.kind === "function") assert.equal(field.env, undefined, `${vendor.vendor} ${field.key}`);
      if (field.env === undefined) continue;
      assert.match(field.env, /^[A-Z][A-Z0-9_]+$/);
      const key = seen.get(field.env);
      assert.ok(key === undefined || key === field.key, `${field.env} names ${key} and ${field.key}`);
      seen.set(field.env, field.key);
    }
  }
  assert.equal(vendors().find((v) => v.vendor === "easemob").defaultBaseUrl, null);
  assert.deepEqual(
    vendors()
      .filter((v) => v.listsUsers)
      .map((v) => v.vendor),
    ["easemob"],
  );
});

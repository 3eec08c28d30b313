// The exported signature functions, against independent implementations: node:crypto, the
// official tls-sig-api-v2 verifier logic in the emulator, and the npm oauth-1.0a package.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { test } from "node:test";

import { ProfileError, oauth1Signature, rongcloudSignature, tencentUserSig } from "improfiles";
import { TENCENT } from "improfiles-emulator";
import { verifyUserSig } from "improfiles-emulator/vendors/tencent.mjs";

const OAuth = createRequire(import.meta.url)("oauth-1.0a");

test("rongcloudSignature is lowercase hex SHA1(appSecret + nonce + timestamp)", () => {
  const expected = createHash("sha1")
    .update("Y1W2MeFwwwRxa0" + "14314" + "1408710653491")
    .digest("hex");
  assert.equal(rongcloudSignature("Y1W2MeFwwwRxa0", "14314", "1408710653491"), expected);
  assert.equal(expected, "dd11a264276f438b045b3b236a2741ddc89d48df");
});

test("tencentUserSig makes a UserSig the emulator verifies independently", () => {
  const { sdkAppId, identifier, secretKey } = TENCENT;
  const userSig = tencentUserSig({ sdkAppId, identifier, secretKey, expireSeconds: 600 });
  const verdict = verifyUserSig(userSig, { sdkAppId, identifier, secretKey, nowSeconds: Date.now() / 1000 });
  assert.equal(verdict.ok, true, verdict.message);
  assert.equal(Number(verdict.doc["TLS.expire"]), 600);
  assert.throws(
    () => tencentUserSig({ sdkAppId: "1400000001", identifier: "a", secretKey: "k" }),
    (e) => e instanceof ProfileError && e.code === "invalid_input",
  );
  assert.throws(
    () => tencentUserSig({ sdkAppId: 1, identifier: "a", secretKey: "k", expireSeconds: 0 }),
    (e) => e.code === "invalid_input",
  );
});

test("oauth1Signature equals npm oauth-1.0a's for the same request", () => {
  const oauth = OAuth({
    consumer: { key: "ck", secret: "cs secret" },
    signature_method: "HMAC-SHA1",
    hash_function: (base, key) => createHmac("sha1", key).update(base).digest("base64"),
  });
  const request = { url: "https://api.kaixin001.com/users/show.json", method: "GET", data: { uids: "1,2,3", fields: "uid,name" } };
  const token = { key: "tk", secret: "ts/secret" };
  const authorized = oauth.authorize(request, token);
  const oauthParams = Object.entries(authorized)
    .filter(([k]) => k !== "oauth_signature")
    .map(([k, v]) => [k, String(v)]);
  const params = { ...request.data, ...Object.fromEntries(oauthParams) };
  const ours = oauth1Signature({ method: "get", url: request.url, params, consumerSecret: "cs secret", tokenSecret: "ts/secret" });
  assert.equal(ours, authorized.oauth_signature);
  assert.throws(
    () => oauth1Signature({ method: "GET", url: `${request.url}?a=1`, params, consumerSecret: "x" }),
    (e) => e.code === "invalid_input",
  );
  assert.throws(
    () => oauth1Signature({ method: "GET", url: request.url, params: { a: 1 }, consumerSecret: "x" }),
    (e) => e.code === "invalid_input",
  );
});

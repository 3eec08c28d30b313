// The plain-JavaScript baselines' requests: per vendor API, its ids per request and the fetch
// arguments for one request's ids, built the way each vendor's docs show (the same defaults
// improfiles sends: Tencent's 12 standard tags, Kaixin001's basic fields). Used by
// bench/plain-paced.mjs, bench/plain-client.mjs and bench/plain-stream.mjs.
import { createHash, randomBytes, randomInt } from "node:crypto";
import { createRequire } from "node:module";

import { APP, ORG, STATIC_TOKEN } from "improfiles-emulator/vendors/easemob.mjs";
import { OAUTH2_TOKENS } from "improfiles-emulator/vendors/kaixin.mjs";
import { STANDARD_TAGS } from "improfiles-emulator/vendors/tencent.mjs";
import { APP_KEY, APP_SECRET } from "../tests/node/helpers/rongcloud.mjs";
import { IDENTIFIER, SDK_APP_ID, SECRET_KEY } from "../tests/node/helpers/tencent.mjs";

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require("tls-sig-api-v2");

let userSig;
function tencent(path, body) {
  return (base, ids) => {
    userSig ??= new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY).genUserSig(IDENTIFIER, 86_400);
    const query = new URLSearchParams({
      sdkappid: SDK_APP_ID,
      identifier: IDENTIFIER,
      usersig: userSig,
      random: randomInt(2 ** 32 - 1),
      contenttype: "json",
    });
    return [
      `${base}${path}?${query}`,
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body(ids)) },
    ];
  };
}

/** For each vendor API: its ids per request, and a function from (base URL, ids) to fetch arguments. */
export const REQUESTS = {
  rongcloud: {
    size: 100,
    request(base, ids) {
      const nonce = randomBytes(8).toString("hex");
      const timestamp = String(Date.now());
      const signature = createHash("sha1")
        .update(APP_SECRET + nonce + timestamp)
        .digest("hex");
      const headers = {
        "App-Key": APP_KEY,
        Nonce: nonce,
        Timestamp: timestamp,
        Signature: signature,
        "Content-Type": "application/x-www-form-urlencoded",
      };
      return [
        `${base}/user/profile/batch/query.json`,
        { method: "POST", headers, body: ids.map((id) => `userId=${encodeURIComponent(id)}`).join("&") },
      ];
    },
  },
  tencent: { size: 100, request: tencent("/v4/profile/portrait_get", (ids) => ({ To_Account: ids, TagList: STANDARD_TAGS })) },
  "tencent-attrs": { size: 100, request: tencent("/v4/all_member_push/im_get_attr", (ids) => ({ To_Account: ids })) },
  easemob: {
    size: 1,
    request: (base, [id]) => [
      `${base}/${ORG}/${APP}/users/${encodeURIComponent(id)}`,
      { headers: { Accept: "application/json", Authorization: `Bearer ${STATIC_TOKEN}` } },
    ],
  },
  kaixin: {
    size: 50,
    request: (base, ids) => [
      `${base}/users/show.json?${new URLSearchParams({ uids: ids.join(","), fields: "uid,name,gender,logo50", access_token: OAUTH2_TOKENS[0] })}`,
      {},
    ],
  },
};

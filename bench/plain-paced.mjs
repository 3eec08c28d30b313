// The plain-JavaScript baseline for pacing at a distance: what a user writes with fetch and a
// send-time sliding window (at most `limit` sends in any trailing second) and `concurrency`
// requests in flight, no retries. It reaches the rate by send time; the vendor counts by
// arrival, so latency that varies pushes some of its seconds over the limit, and the vendor
// refuses the excess. One request builder per vendor, the way each vendor's docs show it.
import { createHash, randomBytes, randomInt } from "node:crypto";
import { createRequire } from "node:module";

import { APP, ORG, STATIC_TOKEN } from "improfiles-emulator/vendors/easemob.mjs";
import { OAUTH2_TOKENS } from "improfiles-emulator/vendors/kaixin.mjs";
import { APP_KEY, APP_SECRET } from "../tests/node/helpers/rongcloud.mjs";
import { IDENTIFIER, SDK_APP_ID, SECRET_KEY } from "../tests/node/helpers/tencent.mjs";

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require("tls-sig-api-v2");

const chunks = (ids, size) => Array.from({ length: Math.ceil(ids.length / size) }, (_, i) => ids.slice(i * size, (i + 1) * size));

/** For each vendor: its ids-per-request and a function from (base URL, ids) to fetch arguments. */
const BUILDERS = {
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
  tencent: {
    size: 100,
    userSig: new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY).genUserSig(IDENTIFIER, 86_400),
    request(base, ids) {
      const query = new URLSearchParams({
        sdkappid: SDK_APP_ID,
        identifier: IDENTIFIER,
        usersig: this.userSig,
        random: randomInt(2 ** 32 - 1),
        contenttype: "json",
      });
      const body = JSON.stringify({ To_Account: ids, TagList: ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Gender", "Tag_Profile_IM_Image"] });
      return [`${base}/v4/profile/portrait_get?${query}`, { method: "POST", headers: { "Content-Type": "application/json" }, body }];
    },
  },
  easemob: {
    size: 1,
    request: (base, [id]) => [
      `${base}/${ORG}/${APP}/users/${encodeURIComponent(id)}`,
      { headers: { Authorization: `Bearer ${STATIC_TOKEN}` } },
    ],
  },
  kaixin: {
    size: 50,
    request: (base, ids) => [`${base}/users/show.json?${new URLSearchParams({ uids: ids.join(","), access_token: OAUTH2_TOKENS[0] })}`, {}],
  },
};

/** Sends every request for `ids` to `vendor` at `limit` per second by send time; resolves when all ended. */
export async function plainPaced({ vendor, baseUrl, ids, limit, concurrency = 64 }) {
  const builder = BUILDERS[vendor];
  const pending = chunks(ids, builder.size);
  const sentAt = []; // send times within the last second
  let next = 0;
  async function worker() {
    while (next < pending.length) {
      for (;;) {
        const now = Date.now();
        while (sentAt.length && sentAt[0] <= now - 1000) sentAt.shift();
        if (sentAt.length < limit) break;
        await new Promise((resolve) => setTimeout(resolve, sentAt[0] + 1000 - now));
      }
      if (next >= pending.length) return;
      const batch = pending[next++];
      sentAt.push(Date.now());
      const response = await fetch(...builder.request(baseUrl, batch));
      await response.text();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

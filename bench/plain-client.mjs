// The plain-JavaScript clients the CPU comparison runs against, one per vendor API: the same
// chunking as improfiles' defaults, 8 requests at a time, the same normalized output, written
// the way a user would — fetch, JSON.parse, mapping — with no retries or pacing (the
// emulator's rate limits are lifted for the comparison).
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";

import { ACCOUNTS } from "improfiles-emulator";

import { MAPPERS } from "./mappers.mjs";

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require("tls-sig-api-v2");

const TENCENT_TAGS = [
  "Tag_Profile_IM_Nick",
  "Tag_Profile_IM_Gender",
  "Tag_Profile_IM_BirthDay",
  "Tag_Profile_IM_Location",
  "Tag_Profile_IM_SelfSignature",
  "Tag_Profile_IM_AllowType",
  "Tag_Profile_IM_Language",
  "Tag_Profile_IM_Image",
  "Tag_Profile_IM_MsgSettings",
  "Tag_Profile_IM_AdminForbidType",
  "Tag_Profile_IM_Level",
  "Tag_Profile_IM_Role",
];

/** Per vendor: ids a request, and the fetch of one request's ids. */
const REQUESTS = {
  rongcloud: {
    size: 100,
    send(baseUrl, chunk) {
      const { appKey, appSecret } = ACCOUNTS.rongcloud;
      const nonce = randomBytes(8).toString("hex");
      const timestamp = String(Date.now());
      const signature = createHash("sha1")
        .update(appSecret + nonce + timestamp)
        .digest("hex");
      return fetch(`${baseUrl}/user/profile/batch/query.json`, {
        method: "POST",
        headers: {
          "App-Key": appKey,
          Nonce: nonce,
          Timestamp: timestamp,
          Signature: signature,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: chunk.map((id) => `userId=${encodeURIComponent(id)}`).join("&"),
      });
    },
  },
  tencent: {
    size: 100,
    send: (baseUrl, chunk) => tencentPost(baseUrl, "/v4/profile/portrait_get", { To_Account: chunk, TagList: TENCENT_TAGS }),
  },
  "tencent-attrs": { size: 100, send: (baseUrl, chunk) => tencentPost(baseUrl, "/v4/all_member_push/im_get_attr", { To_Account: chunk }) },
  easemob: {
    size: 1,
    send(baseUrl, [id]) {
      const { orgName, appName, token } = ACCOUNTS.easemob;
      return fetch(`${baseUrl}/${orgName}/${appName}/users/${encodeURIComponent(id)}`, {
        headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
      });
    },
  },
  kaixin: {
    size: 50,
    send(baseUrl, chunk) {
      const query = new URLSearchParams({
        access_token: ACCOUNTS.kaixin.accessToken,
        fields: "uid,name,gender,logo50",
        uids: chunk.join(","),
      });
      return fetch(`${baseUrl}/users/show.json?${query}`);
    },
  },
};

let userSig;
function tencentPost(baseUrl, path, body) {
  const { sdkAppId, identifier, secretKey } = ACCOUNTS.tencent;
  userSig ??= new TLSSigAPIv2.Api(sdkAppId, secretKey).genSig(identifier, 86_400);
  const query = new URLSearchParams({
    sdkappid: String(sdkAppId),
    identifier,
    usersig: userSig,
    random: String(randomBytes(4).readUInt32BE()),
    contenttype: "json",
  });
  return fetch(`${baseUrl}${path}?${query}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** `{ profiles, failures }` for `ids` of `vendor` from the emulator at `baseUrl`. */
export async function plainClient(vendor, { baseUrl, ids, concurrency = 8 }) {
  const { size, send } = REQUESTS[vendor];
  const unique = [...new Set(ids)];
  const chunks = [];
  for (let i = 0; i < unique.length; i += size) chunks.push(unique.slice(i, i + size));
  const profiles = [];
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      const response = await send(baseUrl, chunk);
      const text = await response.text();
      const found = response.ok ? MAPPERS[vendor](JSON.parse(text)) : [];
      const named = new Set(found.map((p) => p.id));
      profiles.push(...found);
      for (const id of chunk) if (!named.has(id)) failures.push({ id, code: "not_found", message: "no such user", retryable: false });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { profiles, failures };
}

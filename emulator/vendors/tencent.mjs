// Tencent Cloud Chat REST API: v4/profile/portrait_get (docs/vendors/tencent-portrait-get.md, vendor "tencent") and
// v4/all_member_push/im_get_attr (docs/vendors/tencent-im-get-attr.md, vendor "tencent-attrs"), as strict as the real
// service: sdkappid, identifier, usersig, random and contenttype checked on every call, the
// UserSig decoded and its HMAC recomputed with the app's secret key, the documented rate per
// app and API enforced with Tencent's frequency-limit reply, and Tencent's own error codes.
// HTTP status is 200 for every outcome, as the vendor documentation say.

import { createHmac, timingSafeEqual } from "node:crypto";
import { inflateSync } from "node:zlib";

import { TENCENT } from "../accounts.mjs";

export const ID_PREFIX = "t";
export const APPS = {
  [TENCENT.sdkAppId]: { secretKey: TENCENT.secretKey, admins: [TENCENT.identifier] },
};
/** Custom profile tags the demo app has defined (others are answered with 40009). */
export const CUSTOM_TAGS = ["Tag_Profile_Custom_Vip", "Tag_Profile_Custom_Test"];
export const STANDARD_TAGS = [
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
const MAX_ACCOUNTS = 100;
const GENDERS = ["Gender_Type_Unknown", "Gender_Type_Male", "Gender_Type_Female"];
const ALLOW_TYPES = ["AllowType_Type_NeedConfirm", "AllowType_Type_AllowAny", "AllowType_Type_DenyAny"];

/** portrait_get accounts that fail transiently (per-account 40006) the first time they are asked for. */
export const isFlaky = (n) => n % 50 === 7;
/** im_get_attr accounts whose first request fails as a whole with 91000. */
export const failsItsRequest = (n) => n % 500 === 7;
/** Accounts whose profile fields the admin may not read (40007). */
export const isRestricted = (n) => n % 997 === 0;
/** Accounts with no attributes set: im_get_attr answers `{}`. */
export const hasNoAttrs = (n) => n % 10 === 0;

/** The standard and custom tags of the directory's n-th user. */
export function tags(user) {
  const all = {
    Tag_Profile_IM_Nick: user.name,
    Tag_Profile_IM_Gender: GENDERS[user.gender],
    Tag_Profile_IM_BirthDay: Number(user.birthday),
    Tag_Profile_IM_Location: user.location,
    Tag_Profile_IM_SelfSignature: `I'm ${user.name}`,
    Tag_Profile_IM_AllowType: ALLOW_TYPES[user.n % 3],
    Tag_Profile_IM_Language: 0,
    Tag_Profile_IM_Image: user.avatar,
    Tag_Profile_IM_MsgSettings: 0,
    Tag_Profile_IM_AdminForbidType: "AdminForbid_Type_None",
    Tag_Profile_IM_Level: user.level,
    Tag_Profile_IM_Role: user.role,
    Tag_Profile_Custom_Test: `Custom Data${user.n}`,
  };
  if (user.vip) all.Tag_Profile_Custom_Vip = user.vip;
  return all;
}

/** The im_get_attr attributes of the directory's n-th user. */
export function attrs(user) {
  if (hasNoAttrs(user.n)) return {};
  const out = { sex: ["unknown", "male", "female"][user.gender], city: user.location };
  if (user.vip) out.vip = user.vip;
  return out;
}

/**
 * An independent TLSSigAPIv2 verifier (Node crypto + zlib): reverses the character swap,
 * base64-decodes, inflates, parses, checks appid, identifier and expiry, recomputes the HMAC.
 * Returns `{ ok: true, doc }` or `{ ok: false, code, message }` with Tencent's error code.
 */
export function verifyUserSig(userSig, { sdkAppId, identifier, secretKey, nowSeconds }) {
  let doc;
  try {
    const b64 = userSig.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "=");
    doc = JSON.parse(inflateSync(Buffer.from(b64, "base64")).toString("utf8"));
  } catch {
    return { ok: false, code: 70003, message: "UserSig cannot be parsed" };
  }
  if (doc["TLS.ver"] !== "2.0") return { ok: false, code: 70003, message: "UserSig version is not 2.0" };
  if (String(doc["TLS.identifier"]) !== identifier) return { ok: false, code: 70013, message: "identifier does not match the UserSig" };
  if (Number(doc["TLS.sdkappid"]) !== Number(sdkAppId)) return { ok: false, code: 70014, message: "SDKAppID does not match the UserSig" };
  const time = Number(doc["TLS.time"]);
  const expire = Number(doc["TLS.expire"]);
  const content = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  const expected = createHmac("sha256", secretKey).update(content).digest();
  const given = Buffer.from(String(doc["TLS.sig"] ?? ""), "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: 70009, message: "UserSig verification failed" };
  }
  if (!(nowSeconds <= time + expire)) return { ok: false, code: 70001, message: "UserSig expired" };
  return { ok: true, doc };
}

function fail(code, info, outcome = `error_${code}`) {
  return { status: 200, json: { ActionStatus: "FAIL", ErrorCode: code, ErrorInfo: info, ErrorDisplay: "" }, outcome };
}

function createEndpoint({ name, path, rateLimit, directory, answer, entryList }) {
  const windows = new Map(); // sdkappid -> accepted arrival times in the last second
  const servedFlaky = new Set(); // accounts that already failed their one transient time

  function admit(app, now, limits) {
    if (!limits.enforce) return true;
    const times = windows.get(app) ?? [];
    while (times.length && times[0] <= now - 1000) times.shift();
    windows.set(app, times);
    if (times.length >= rateLimit) return false;
    times.push(now);
    return true;
  }

  function authenticate(url, now) {
    const q = url.searchParams;
    const sdkAppId = q.get("sdkappid");
    if (!sdkAppId || !/^[0-9]+$/.test(sdkAppId)) return { error: fail(60012, "sdkappid is required") };
    const app = APPS[sdkAppId];
    if (!app) return { error: fail(70016, "no key for this SDKAppID") };
    const random = q.get("random");
    if (!random || !/^[0-9]{1,10}$/.test(random) || Number(random) > 4294967295) {
      return { error: fail(60002, "random must be a 32-bit unsigned integer") };
    }
    if (q.get("contenttype") !== "json") return { error: fail(60002, "contenttype must be json") };
    const identifier = q.get("identifier");
    if (!identifier) return { error: fail(60004, "identifier is required") };
    const userSig = q.get("usersig");
    if (!userSig) return { error: fail(70003, "usersig is required") };
    const verdict = verifyUserSig(userSig, { sdkAppId, identifier, secretKey: app.secretKey, nowSeconds: Math.floor(now / 1000) });
    if (!verdict.ok) return { error: fail(verdict.code, verdict.message) };
    if (!app.admins.includes(identifier)) return { error: fail(40004, "the request requires app admin permission") };
    return { sdkAppId };
  }

  return {
    name,
    matches: (url) => url.pathname === path,
    rateLimitReply: () => ({ status: 200, json: fail(60007, "REST API call frequency exceeds the limit").json }),
    entries: (json) => json[entryList] && { list: json[entryList], idKey: "To_Account" },
    reset() {
      windows.clear();
      servedFlaky.clear();
    },
    handle(req, url, body, ctx) {
      const now = ctx.now();
      if (req.method !== "POST") return fail(60002, "use POST");
      const auth = authenticate(url, now);
      if (auth.error) return auth.error;
      ctx.appKey = auth.sdkAppId;
      if (!admit(auth.sdkAppId, now, ctx.limits)) return fail(60007, "REST API call frequency exceeds the limit", "rate_limited");
      let request;
      try {
        request = JSON.parse(body);
      } catch {
        request = undefined;
      }
      return answer({ request, directory, ctx, servedFlaky });
    },
  };
}

/** The directory index of an account, or undefined when it does not exist. */
const indexOf = (directory, account) => (typeof account === "string" ? directory.indexOf(account, ID_PREFIX) : undefined);

export function createTencentPortraitGet({ directory }) {
  return createEndpoint({
    name: "tencent",
    entryList: "UserProfileItem",
    path: "/v4/profile/portrait_get",
    rateLimit: 200,
    directory,
    answer({ request, ctx, servedFlaky }) {
      if (!request || typeof request !== "object") return fail(40001, "the request body is not valid JSON");
      const accounts = request.To_Account;
      if (!Array.isArray(accounts) || accounts.length === 0) return fail(40002, "To_Account is not specified");
      ctx.ids = accounts.length;
      if (accounts.length > MAX_ACCOUNTS) return fail(40001, `at most ${MAX_ACCOUNTS} accounts per request`);
      const tagList = request.TagList;
      if (!Array.isArray(tagList) || tagList.length === 0) return fail(40001, "TagList is required");
      const unknown = tagList.find((t) => !STANDARD_TAGS.includes(t) && !CUSTOM_TAGS.includes(t));
      if (unknown !== undefined) return fail(40009, `profile tag ${unknown} does not exist`);
      const items = [];
      const failed = [];
      for (const account of accounts) {
        const n = indexOf(directory, account);
        if (n === undefined) {
          items.push({ To_Account: String(account), ResultCode: 40003, ResultInfo: "Err_Profile_Account_Not_Exist" });
          failed.push(String(account));
        } else if (isFlaky(n) && !servedFlaky.has(account)) {
          servedFlaky.add(account);
          items.push({ To_Account: account, ResultCode: 40006, ResultInfo: "Err_Profile_PortraitGet_Read_Custom_Data_Fail" });
          failed.push(account);
        } else if (isRestricted(n)) {
          items.push({ To_Account: account, ResultCode: 40007, ResultInfo: "Err_Profile_No_Permission" });
          failed.push(account);
        } else {
          const values = tags(directory.user(n));
          const ProfileItem = tagList.filter((t) => t in values).map((Tag) => ({ Tag, Value: values[Tag] }));
          items.push({ To_Account: account, ProfileItem, ResultCode: 0, ResultInfo: "" });
        }
      }
      const json = { UserProfileItem: items };
      if (failed.length) json.Fail_Account = failed;
      Object.assign(json, { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ErrorDisplay: "" });
      return { status: 200, json, outcome: "ok" };
    },
  });
}

export function createTencentAttrs({ directory }) {
  return createEndpoint({
    name: "tencent-attrs",
    entryList: "UserAttrs",
    path: "/v4/all_member_push/im_get_attr",
    rateLimit: 100,
    directory,
    answer({ request, ctx, servedFlaky }) {
      const accounts = request?.To_Account;
      if (!Array.isArray(accounts) || accounts.length === 0) return fail(90001, "JSON parse error: To_Account is required");
      ctx.ids = accounts.length;
      if (accounts.length > MAX_ACCOUNTS) return fail(90018, `at most ${MAX_ACCOUNTS} accounts per request`);
      const known = accounts.map((a) => [a, indexOf(directory, a)]).filter(([, n]) => n !== undefined);
      const flaky = known.filter(([a, n]) => failsItsRequest(n) && !servedFlaky.has(a));
      if (flaky.length) {
        for (const [a] of flaky) servedFlaky.add(a);
        return fail(91000, "internal service error, try again", "transient_91000");
      }
      const UserAttrs = known.map(([To_Account, n]) => ({ To_Account, Attrs: attrs(directory.user(n)) }));
      return { status: 200, json: { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0, UserAttrs }, outcome: "ok" };
    },
  });
}

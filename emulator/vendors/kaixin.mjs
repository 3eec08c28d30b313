// Kaixin001 users/show (docs/vendors/kaixin.md), JSON and XML. OAuth 1.0a signatures are verified with the
// npm `oauth-1.0a` package (an implementation that is not ours), with nonce replay refused and
// a timestamp window; OAuth 2 `access_token`s are accepted too. Statuses per the vendor documentation: 400 for
// an invalid request or the rate limit, 401 unauthenticated, 404 unknown path.

import { createHmac } from "node:crypto";
import { createRequire } from "node:module";

import { KAIXIN } from "../accounts.mjs";

const OAuth = createRequire(import.meta.url)("oauth-1.0a");

export const CONSUMERS = { [KAIXIN.oauth1.consumerKey]: KAIXIN.oauth1.consumerSecret };
export const TOKENS = { [KAIXIN.oauth1.token]: KAIXIN.oauth1.tokenSecret };
export const OAUTH2_TOKENS = [KAIXIN.accessToken];
export const RATE_LIMIT = 10;
const MAX_UIDS = 50;
const TIMESTAMP_WINDOW_S = 300;
export const FIELDS = [
  "uid",
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
  "schooltype",
  "school",
  "class",
  "year",
  "career",
  "company",
  "dept",
  "beginyear",
  "beginmonth",
  "endyear",
  "endmonth",
  "isStar",
  "online",
  "pinyin",
];
export const BASIC_FIELDS = ["uid", "name", "gender", "logo50"];
const EDUCATION = ["education", "schooltype", "school", "class", "year"];
const CAREER = ["career", "company", "dept", "beginyear", "beginmonth", "endyear", "endmonth"];
const SCHOOLS = ["北京大学", "清华大学", "复旦大学", "浙江大学"];
const COMPANIES = ["开心网", "搜狐", "新浪", "网易"];

/** Users whose profile is not public: users/show leaves them out. */
export const isPrivate = (n) => n % 13 === 0;

/** Every field of the directory's n-th user, as Kaixin sends it (strings throughout). */
export function record(user) {
  const n = user.n;
  const birth = user.birthday;
  return {
    uid: String(n),
    name: user.name,
    gender: ["2", "0", "1"][user.gender], // directory 1 male -> "0", 2 female -> "1"; 0 -> "2" (not a Kaixin value)
    hometown: ["北京", "上海", "厦门", "成都"][n % 4],
    city: user.location,
    status: String(n % 3),
    logo120: `http://pic1.kaixin001.com.cn/logo/${n}/120_${n}.jpg`,
    logo50: `http://pic1.kaixin001.com.cn/logo/${n}/50_${n}.jpg`,
    birthday: `${birth.slice(0, 4)}年${Number(birth.slice(4, 6))}月${Number(birth.slice(6))}日`,
    bodyform: String(n % 11),
    blood: String(n % 6),
    marriage: String(n % 6),
    trainwith: "喜欢运动的 & 爱读书的",
    interest: "游泳,打球",
    favbook: n % 5 === 0 ? "" : "武侠小说",
    favmovie: "倩女幽魂",
    favtv: "美剧",
    idol: "迈克尔 乔丹",
    motto: "成功没有捷径 <1>",
    wishlist: "买套房子",
    intro: `user ${n}`,
    education: [{ schooltype: String(n % 2), school: SCHOOLS[n % 4], class: `${n % 30} 班`, year: String(1990 + (n % 30)) }],
    career:
      n % 3 === 0 ? [] : [{ company: COMPANIES[n % 4], dept: "技术", beginyear: "2011", beginmonth: "01", endyear: "", endmonth: "" }],
    isStar: "0",
    online: String(n % 2),
    pinyin: user.name.replace(/ /g, ""),
  };
}

/** The fields of `full` that `fields` asks for (a subfield brings its whole list). */
export function select(full, fields) {
  const wanted = new Set(fields);
  if (EDUCATION.some((f) => wanted.has(f))) wanted.add("education");
  if (CAREER.some((f) => wanted.has(f))) wanted.add("career");
  return Object.fromEntries(Object.entries(full).filter(([k]) => wanted.has(k)));
}

const escapeXml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function xmlUser(user) {
  const parts = Object.entries(user).map(([key, value]) => {
    if (!Array.isArray(value)) return `<${key}>${escapeXml(value)}</${key}>`;
    const item = key === "education" ? "college" : "job";
    const entries = value.map(
      (e) =>
        `<${item}>${Object.entries(e)
          .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
          .join("")}</${item}>`,
    );
    return `<${key}>${entries.join("")}</${key}>`;
  });
  return `<user>\n${parts.join("\n")}\n</user>`;
}

export function toXml(users) {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
  return users.length === 1 ? head + xmlUser(users[0]) : `${head}<users>\n${users.map(xmlUser).join("\n")}\n</users>`;
}

export function createKaixin({ directory }) {
  const oauth = OAuth({
    consumer: { key: "", secret: "" },
    signature_method: "HMAC-SHA1",
    hash_function: (base, key) => createHmac("sha1", key).update(base).digest("base64"),
  });
  const seenNonces = new Map();
  const windows = new Map();

  function reply(format, status, payload, outcome) {
    if (format === "xml") {
      const render = (json) =>
        json.users
          ? toXml(json.users)
          : `<?xml version="1.0" encoding="UTF-8"?>\n<error><code>${status}</code><msg>${escapeXml(json.error)}</msg></error>`;
      return { status, json: payload, render, contentType: "application/xml; charset=utf-8", outcome };
    }
    return { status, json: payload, outcome };
  }

  function authenticate(req, url, now) {
    const q = url.searchParams;
    const accessToken = q.get("access_token");
    if (accessToken !== null) {
      return OAUTH2_TOKENS.includes(accessToken) ? { principal: accessToken } : { error: "invalid access_token" };
    }
    const consumerKey = q.get("oauth_consumer_key");
    const consumerSecret = CONSUMERS[consumerKey];
    if (!consumerSecret) return { error: "unknown oauth_consumer_key" };
    const tokenSecret = TOKENS[q.get("oauth_token")];
    if (tokenSecret === undefined) return { error: "unknown oauth_token" };
    if (q.get("oauth_signature_method") !== "HMAC-SHA1") return { error: "oauth_signature_method must be HMAC-SHA1" };
    if (q.has("oauth_version") && q.get("oauth_version") !== "1.0") return { error: "oauth_version must be 1.0" };
    const nonce = q.get("oauth_nonce") ?? "";
    if (nonce.length < 8) return { error: "oauth_nonce is missing or too short" };
    const timestamp = Number(q.get("oauth_timestamp"));
    if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > TIMESTAMP_WINDOW_S)
      return { error: "oauth_timestamp is outside the allowed window" };
    const oauthData = {};
    const data = {};
    for (const [key, value] of q) {
      if (key === "oauth_signature") continue;
      (key.startsWith("oauth_") ? oauthData : data)[key] = value;
    }
    oauth.consumer = { key: consumerKey, secret: consumerSecret };
    const expected = oauth.getSignature(
      { url: `http://${req.headers.host}${url.pathname}`, method: req.method, data },
      tokenSecret,
      oauthData,
    );
    if (q.get("oauth_signature") !== expected) return { error: "signature_invalid" };
    const replayKey = `${consumerKey}:${nonce}`;
    if (seenNonces.has(replayKey)) return { error: "oauth_nonce was already used" };
    seenNonces.set(replayKey, now);
    if (seenNonces.size > 100_000) {
      for (const [key, at] of seenNonces) if (now - at > TIMESTAMP_WINDOW_S * 1000) seenNonces.delete(key);
    }
    return { principal: consumerKey };
  }

  function admit(principal, now, limits) {
    if (!limits.enforce) return true;
    const times = windows.get(principal) ?? [];
    while (times.length && times[0] <= now - 1000) times.shift();
    windows.set(principal, times);
    if (times.length >= RATE_LIMIT) return false;
    times.push(now);
    return true;
  }

  return {
    name: "kaixin",
    matches: (url) => /^\/users\/show\.(json|xml)$/.test(url.pathname),
    rateLimitReply: () => ({ status: 400, json: { error: "40003: request rate over limit" } }),
    entries: (json) => json.users && { list: json.users, idKey: "uid" },
    reset() {
      seenNonces.clear();
      windows.clear();
    },
    handle(req, url, _body, ctx) {
      const now = ctx.now();
      const format = url.pathname.endsWith(".xml") ? "xml" : "json";
      if (req.method !== "GET") return reply(format, 400, { error: "invalid request: use GET" }, "error_method");
      const auth = authenticate(req, url, now);
      if (auth.error) return reply(format, 401, { error: auth.error }, "error_401");
      ctx.appKey = auth.principal;
      if (!admit(auth.principal, now, ctx.limits)) return reply(format, 400, { error: "40003: request rate over limit" }, "rate_limited");
      const uids = (url.searchParams.get("uids") ?? "").split(",").filter(Boolean);
      ctx.ids = uids.length;
      if (uids.length === 0 || uids.length > MAX_UIDS)
        return reply(format, 400, { error: `invalid parameter uids: give 1 to ${MAX_UIDS}` }, "error_uids");
      const requested = url.searchParams.get("fields");
      const fields = requested ? requested.split(",") : BASIC_FIELDS;
      const unknown = fields.find((f) => !FIELDS.includes(f));
      if (unknown !== undefined) return reply(format, 400, { error: `invalid parameter fields: ${unknown}` }, "error_fields");
      const users = [];
      for (const uid of uids) {
        const n = directory.indexOf(uid, "");
        if (n !== undefined && !isPrivate(n)) users.push(select(record(directory.user(n)), fields));
      }
      return reply(format, 200, { users }, "ok");
    },
  };
}

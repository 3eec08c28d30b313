// RongCloud "Batch Query User Profiles" (docs/vendors/rongcloud.md), as strict as the real service: App-Key,
// Nonce, Timestamp and Signature checked, nonce replay refused, the documented 100 requests/s
// per app key enforced over a sliding second, RongCloud's own error replies.

import { createHash } from "node:crypto";

import { RONGCLOUD } from "../accounts.mjs";

export const PATH = "/user/profile/batch/query.json";
export const ID_PREFIX = "u";
export const RATE_LIMIT = 100;
export const APPS = {
  [RONGCLOUD.appKey]: { secret: RONGCLOUD.appSecret },
  "locked-app-key": { secret: "locked-app-secret", locked: true },
};
const TIMESTAMP_WINDOW_MS = 5 * 60_000;
const MAX_IDS = 100;

export function sign(secret, nonce, timestamp) {
  return createHash("sha1")
    .update(secret + nonce + timestamp)
    .digest("hex");
}

/** What the directory's n-th user looks like on the wire. */
export function record(user) {
  const profile = {
    name: user.name,
    portraitUri: user.avatar,
    gender: user.gender,
    birthday: user.birthday,
    location: user.location,
    level: user.level,
    role: user.role,
    uniqueId: `app-${user.n}`,
  };
  if (user.email) profile.email = user.email;
  const ext = user.vip ? { vip: user.vip } : undefined;
  const item = { userId: `${ID_PREFIX}${user.n}`, version: user.version };
  item.userProfile = user.encodeAsString ? JSON.stringify(profile) : profile;
  if (ext) item.userExtProfile = user.encodeAsString ? JSON.stringify(ext) : ext;
  return item;
}

function header(req, name) {
  return req.headers[name.toLowerCase()] ?? req.headers[`rc-${name.toLowerCase()}`];
}

export function createRongCloud({ directory }) {
  const seenNonces = new Map(); // nonce -> time first seen, pruned past the timestamp window
  const windows = new Map(); // app key -> recent accepted arrival times

  function reject(status, code, errorMessage) {
    return { status, json: { code, errorMessage }, outcome: `error_${code}` };
  }

  function verify(req, now) {
    const appKey = header(req, "App-Key");
    const nonce = header(req, "Nonce");
    const timestamp = header(req, "Timestamp");
    const signature = header(req, "Signature");
    const app = appKey && APPS[appKey];
    if (!app) return { error: reject(401, 1001, "App-Key is missing or unknown") };
    if (app.locked) return { error: reject(401, 1006, "the app is locked or deleted") };
    if (!nonce || !timestamp || !signature) return { error: reject(401, 1004, "Nonce, Timestamp and Signature are required") };
    if (nonce.length > 18) return { error: reject(401, 1004, "Nonce is longer than 18 characters") };
    if (!/^[0-9]{10,13}$/.test(timestamp)) return { error: reject(401, 1004, "Timestamp is not a Unix time") };
    const ms = timestamp.length <= 10 ? Number(timestamp) * 1000 : Number(timestamp);
    if (Math.abs(now - ms) > TIMESTAMP_WINDOW_MS) return { error: reject(401, 1004, "Timestamp is outside the allowed window") };
    if (signature !== sign(app.secret, nonce, timestamp)) return { error: reject(401, 1004, "signature error") };
    const replayKey = `${appKey}:${nonce}`;
    if (seenNonces.has(replayKey)) return { error: reject(401, 1004, "Nonce was already used") };
    seenNonces.set(replayKey, now);
    return { appKey };
  }

  function pruneNonces(now) {
    if (seenNonces.size < 50_000) return;
    for (const [key, at] of seenNonces) if (now - at > TIMESTAMP_WINDOW_MS) seenNonces.delete(key);
  }

  /** Sliding one-second window over accepted requests. */
  function admit(appKey, now, limits) {
    if (!limits.enforce) return true;
    const times = windows.get(appKey) ?? [];
    while (times.length && times[0] <= now - 1000) times.shift();
    if (times.length >= RATE_LIMIT) {
      windows.set(appKey, times);
      return false;
    }
    times.push(now);
    windows.set(appKey, times);
    return true;
  }

  return {
    name: "rongcloud",
    matches: (url) => url.pathname === PATH,
    rateLimitReply: () => ({ status: 429, json: { code: 1008, errorMessage: "rate limit exceeded" } }),
    entries: (json) => json.userList && { list: json.userList, idKey: "userId" },
    reset() {
      seenNonces.clear();
      windows.clear();
    },
    handle(req, _url, body, ctx) {
      const now = ctx.now();
      if (req.method !== "POST") return reject(405, 1002, "use POST");
      const verified = verify(req, now);
      if (verified.error) return verified.error;
      pruneNonces(now);
      ctx.appKey = verified.appKey;
      if (!admit(verified.appKey, now, ctx.limits)) return { ...reject(429, 1008, "rate limit exceeded"), outcome: "rate_limited" };
      const contentType = (req.headers["content-type"] ?? "").split(";")[0].trim();
      if (contentType !== "application/x-www-form-urlencoded")
        return reject(400, 1002, "Content-Type must be application/x-www-form-urlencoded");
      const ids = new URLSearchParams(body).getAll("userId");
      ctx.ids = ids.length;
      if (ids.length === 0) return reject(400, 1002, "userId is required");
      if (ids.length > MAX_IDS) return reject(400, 1005, `at most ${MAX_IDS} userId per request`);
      const userList = [];
      for (const id of ids) {
        const n = directory.indexOf(id, ID_PREFIX);
        if (n !== undefined) userList.push(record(directory.user(n)));
      }
      return { status: 200, json: { code: 200, userList }, outcome: "ok" };
    },
  };
}

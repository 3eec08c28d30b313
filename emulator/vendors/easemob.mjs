// Easemob (Agora Chat) users (docs/vendors/easemob.md): the app token endpoint with expiring tokens, the
// cursor-paged listing in creation order, the single-user lookup, Easemob's error bodies
// (401 unauthorized, 404 service_resource_not_found / organization_application_not_found,
// 429 reach_limit) and its 100 requests/s per app. Control (POST /__emulator/vendor/easemob):
// { revokeTokens: true } refuses every token issued so far; { tokenTtlSeconds } sets the
// lifetime of the next tokens.

import { createHash, randomBytes } from "node:crypto";

import { EASEMOB } from "../accounts.mjs";

/** The demo app; its `token` is always accepted, for the `token` config path. */
export const { orgName: ORG, appName: APP, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, token: STATIC_TOKEN } = EASEMOB;
/** How many users the app has (usernames user1 … user2500, created in that order). */
export const USERS = 2_500;
export const RATE_LIMIT = 100;
const DEFAULT_TOKEN_TTL_S = 3600;
const MAX_LIMIT = 100;

const uuidOf = (n) => {
  const h = createHash("sha1").update(`easemob-user-${n}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** The directory's n-th user as an Easemob entity. */
export function entity(user) {
  const n = user.n;
  const out = {
    uuid: uuidOf(n),
    type: "user",
    created: user.createdAt,
    modified: user.createdAt + (n % 7) * 3_600_000,
    username: `user${n}`,
    activated: n % 17 !== 0,
    nickname: user.name,
  };
  if (n % 3 === 0) out.notification_display_style = n % 2;
  if (n % 5 === 0)
    Object.assign(out, { notification_no_disturbing: true, notification_no_disturbing_start: "22", notification_no_disturbing_end: "7" });
  if (n % 11 === 0) Object.assign(out, { notifier_name: "demo-push-cert", device_token: `device-${n}` });
  return out;
}

const encodeCursor = (offset) => Buffer.from(`offset:${offset}`).toString("base64url");
function decodeCursor(cursor) {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match ? Number(match[1]) : undefined;
}

export function createEasemob({ directory }) {
  const tokens = new Map(); // token -> expires at (ms)
  const windows = new Map();
  let tokenTtlSeconds = DEFAULT_TOKEN_TTL_S;

  const error = (status, error, error_description, outcome = `error_${status}`) => ({
    status,
    json: { error, exception: `com.easemob.${error}`, timestamp: Date.now(), duration: 0, error_description },
    outcome,
  });

  function admit(now, limits) {
    if (!limits.enforce) return true;
    const times = windows.get(APP) ?? [];
    while (times.length && times[0] <= now - 1000) times.shift();
    windows.set(APP, times);
    if (times.length >= RATE_LIMIT) return false;
    times.push(now);
    return true;
  }

  function authorized(req, now) {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (!match) return false;
    if (match[1] === STATIC_TOKEN) return true;
    const expiresAt = tokens.get(match[1]);
    return expiresAt !== undefined && now < expiresAt;
  }

  function issueToken(body, now) {
    let request;
    try {
      request = JSON.parse(body);
    } catch {
      return error(400, "json_parse", "Unexpected character");
    }
    if (request?.grant_type !== "client_credentials") return error(400, "unsupported_grant_type", "grant_type must be client_credentials");
    if (request.client_id !== CLIENT_ID || request.client_secret !== CLIENT_SECRET)
      return error(401, "unauthorized", "invalid client_id or client_secret", "token_refused");
    const token = `YWMt${randomBytes(24).toString("base64url")}`;
    tokens.set(token, now + tokenTtlSeconds * 1000);
    return { status: 200, json: { access_token: token, expires_in: tokenTtlSeconds, application: uuidOf(0) }, outcome: "token" };
  }

  return {
    name: "easemob",
    matches: (url) => /^\/[^/]+\/[^/]+\/(token|users(\/[^/]+)?)$/.test(url.pathname),
    rateLimitReply: () => ({ status: 429, json: { error: "reach_limit", error_description: "This request has reached api limit" } }),
    entries: (json) => json.entities && { list: json.entities, idKey: "username" },
    reset() {
      tokens.clear();
      windows.clear();
      tokenTtlSeconds = DEFAULT_TOKEN_TTL_S;
    },
    control(input) {
      if (input.revokeTokens) tokens.clear();
      if (input.tokenTtlSeconds !== undefined) tokenTtlSeconds = Number(input.tokenTtlSeconds);
      return { tokens: tokens.size, tokenTtlSeconds };
    },
    handle(req, url, body, ctx) {
      const now = ctx.now();
      const [, org, app, resource, username] = url.pathname.split("/").map(decodeURIComponent);
      if (org !== ORG || app !== APP)
        return error(404, "organization_application_not_found", `Could not find application for ${org}/${app} from URI: ${url.pathname}`);
      ctx.appKey = `${org}#${app}`;
      if (resource === "token") {
        if (req.method !== "POST") return error(405, "method_not_allowed", "use POST");
        return issueToken(body, now);
      }
      if (req.method !== "GET") return error(405, "method_not_allowed", "use GET");
      if (!authorized(req, now)) return error(401, "unauthorized", "Unable to authenticate (OAuth)");
      if (!admit(now, ctx.limits)) return error(429, "reach_limit", "This request has reached api limit", "rate_limited");
      const base = {
        action: "get",
        path: "/users",
        uri: `http://emulator/${org}/${app}/users`,
        timestamp: now,
        duration: 1,
        organization: org,
        application: uuidOf(0),
        applicationName: app,
      };
      if (username !== undefined) {
        ctx.ids = 1;
        const n = directory.indexOf(username.toLowerCase(), "user");
        if (n === undefined || n > USERS) return error(404, "service_resource_not_found", "Service resource not found");
        return { status: 200, json: { ...base, entities: [entity(directory.user(n))], count: 1 }, outcome: "ok" };
      }
      const limitParam = url.searchParams.get("limit");
      const limit = limitParam === null ? 10 : Number(limitParam);
      if (!Number.isInteger(limit) || limit < 1) return error(400, "illegal_argument", "limit must be 1 or more");
      const cursor = url.searchParams.get("cursor");
      const offset = cursor === null ? 0 : decodeCursor(cursor);
      if (offset === undefined) return error(400, "illegal_argument", "cursor is not valid");
      const end = Math.min(offset + Math.min(limit, MAX_LIMIT), USERS);
      const entities = [];
      for (let n = offset + 1; n <= end; n++) entities.push(entity(directory.user(n)));
      ctx.ids = entities.length;
      const page = { ...base, entities, count: entities.length };
      if (end < USERS) page.cursor = encodeCursor(end);
      return { status: 200, json: page, outcome: "ok" };
    },
  };
}

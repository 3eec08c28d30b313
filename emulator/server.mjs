// The vendor emulator: one local HTTP server speaking every vendor API improfiles supports,
// so tests, the demo and benchmarks run with no network. Each vendor is a module under
// vendors/ with `matches(url)` and `handle(req, url, body, ctx)`; this file adds what they
// share: loopback binding, CORS, a request log, rate-limit switches and fault injection.
//
// Control API (JSON):
//   GET  /__emulator/health           -> { ok: true }
//   GET  /__emulator/accounts         -> every vendor key's demo account (accounts.mjs), for pages
//   GET  /__emulator/log              -> [{ at, vendor, appKey, method, path, status, outcome, ids, fault }]
//   POST /__emulator/reset            -> clears log, faults, nonces and rate windows
//   POST /__emulator/faults           <- { vendor, kind, count = 1, status, ms, retryAfter, retryAfterForm }
//        The next `count` requests to `vendor` meet the fault. Kinds:
//          "status"       an HTML error page with `status` (default 503)
//          "rate_limit"   the vendor's own rate-limit reply (`status` overrides its HTTP status,
//                         e.g. 200 for the rate-limit code in a 200 body)
//          "stall"        answer only after `ms`             "reset"   destroy the connection
//          "truncate"     cut the real body (JSON or XML) in half
//          "html"         a 200 HTML page, as a captive portal or a proxy sends
//          "content_type" the real body labelled text/html
//          "stray_ids"    the real reply plus entries for ids nobody asked for
//          "duplicates"   the real reply with every entry twice
//        `retryAfter` (seconds) adds a Retry-After header to "status" and "rate_limit" replies,
//        as delta-seconds or, with retryAfterForm "date", as an HTTP date.
//   POST /__emulator/limits           <- { enforce: boolean }   (lift rate limits for load runs)
//   POST /__emulator/latency          <- { latencyMs, jitterMs }  (the network's round trip; see below)
//   POST /__emulator/names            <- { "<n>": "<name>", … }  (set user n's name, for every vendor,
//                                        until a reset: formulas, escapes, CJK, emoji…)
//
// Latency: the vendors are 50-500 ms away from most users, and every pacing figure measured on
// loopback hides that. With `latencyMs` L and `jitterMs` J (start options, the CLI's
// --latency-ms / --jitter-ms, or the control route) every vendor request waits one leg before
// the vendor sees it (and counts it against its rate window: the log's `at` is that arrival)
// and another leg before its answer goes back. Each leg is L/2 ± J/2, drawn uniformly and
// independently per leg, so the round trip is L ± J. With `handshakeRoundTrips` H (the control
// route only) the first request on each new connection waits H more round trips before its
// uplink, as TCP and TLS handshakes make it (H = 2 for TLS 1.3): a cold start, whose round
// trips are all longer than later requests' on the same connections; setting the latency makes
// every connection open until then count as new, as for a client just started. A reset keeps
// the latency.
//   POST /__emulator/vendor/<name>    <- vendor-specific switches (see the vendor's module)

import http from "node:http";

import { ACCOUNTS } from "./accounts.mjs";
import { Directory } from "./directory.mjs";
import { createEasemob } from "./vendors/easemob.mjs";
import { createKaixin } from "./vendors/kaixin.mjs";
import { createRongCloud } from "./vendors/rongcloud.mjs";
import { createTencentAttrs, createTencentPortraitGet } from "./vendors/tencent.mjs";

const CONTROL = "/__emulator/";

/** Fault kinds, and whether each replaces the vendor's answer or alters it. */
const FAULTS = {
  status: "replace",
  rate_limit: "replace",
  html: "replace",
  reset: "replace",
  stall: "delay",
  truncate: "alter",
  content_type: "alter",
  stray_ids: "alter",
  duplicates: "alter",
};

function retryAfterHeader(fault) {
  if (fault.retryAfter === undefined) return {};
  const value = fault.retryAfterForm === "date" ? new Date(Date.now() + fault.retryAfter * 1000).toUTCString() : String(fault.retryAfter);
  return { "retry-after": value };
}

/** Adds entries for ids nobody asked for, or repeats every entry, in a successful reply. */
function alterEntries(vendor, reply, kind) {
  const entries = reply.status === 200 && reply.json ? vendor.entries?.(reply.json) : undefined;
  if (!entries) return;
  const { list, idKey } = entries;
  if (kind === "duplicates") {
    list.push(...list.map((entry) => structuredClone(entry)));
    return;
  }
  const model = list[0] ?? {};
  for (let k = 1; k <= 3; k++) list.push({ ...structuredClone(model), [idKey]: `stray-entry-${k}` });
}

function corsHeaders(req) {
  return {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "*",
    "access-control-expose-headers": "Retry-After, Content-Type",
    "access-control-max-age": "600",
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** One leg of the emulated network, in ms: half the round trip, ± half the jitter. */
function legDelay(latency, random) {
  const ms = latency.latencyMs / 2 + (random() * 2 - 1) * (latency.jitterMs / 2);
  return Math.max(0, ms);
}

function checkLatency({ latencyMs = 0, jitterMs = 0, handshakeRoundTrips = 0 }) {
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0 && Number.isFinite(jitterMs) && jitterMs >= 0 && jitterMs <= latencyMs)) {
    throw new RangeError("latencyMs and jitterMs must be numbers, 0 ≤ jitterMs ≤ latencyMs");
  }
  if (!(Number.isInteger(handshakeRoundTrips) && handshakeRoundTrips >= 0 && handshakeRoundTrips <= 4)) {
    throw new RangeError("handshakeRoundTrips must be a whole number from 0 to 4");
  }
  return { latencyMs, jitterMs, handshakeRoundTrips };
}

export function createEmulator({ seed, size, now = () => Date.now(), latencyMs = 0, jitterMs = 0, random = Math.random } = {}) {
  let latency = checkLatency({ latencyMs, jitterMs });
  const leg = () => (latency.latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, legDelay(latency, random))) : undefined);
  let connected = new WeakSet(); // sockets that have carried a request since the latency was set
  async function handshake(socket) {
    if (connected.has(socket)) return;
    connected.add(socket);
    for (let i = 0; i < 2 * latency.handshakeRoundTrips; i++) await leg();
  }
  const directory = new Directory({ seed, size });
  const vendors = [
    createRongCloud({ directory }),
    createTencentPortraitGet({ directory }),
    createTencentAttrs({ directory }),
    createKaixin({ directory }),
    createEasemob({ directory }),
  ];
  const limits = { enforce: true };
  let faults = []; // { vendor, kind, remaining, status, ms, retryAfter }
  let log = [];
  const sockets = new Set();

  function takeFault(vendor) {
    const fault = faults.find((f) => f.vendor === vendor && f.remaining > 0);
    if (!fault) return undefined;
    fault.remaining -= 1;
    faults = faults.filter((f) => f.remaining > 0);
    return fault;
  }

  function send(req, res, status, payload, extraHeaders = {}) {
    const body = typeof payload === "string" ? payload : JSON.stringify(payload);
    const type = typeof payload === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
    res.writeHead(status, { ...corsHeaders(req), "content-type": type, ...extraHeaders });
    res.end(body);
  }

  async function control(req, res, url) {
    const route = url.pathname.slice(CONTROL.length);
    if (route === "health") return send(req, res, 200, { ok: true, vendors: vendors.map((v) => v.name) });
    if (route === "log") return send(req, res, 200, log);
    if (route === "accounts") return send(req, res, 200, ACCOUNTS);
    if (req.method !== "POST") return send(req, res, 405, { error: "use POST" });
    const input = JSON.parse((await readBody(req)) || "{}");
    if (route === "reset") {
      log = [];
      faults = [];
      limits.enforce = true;
      for (const v of vendors) v.reset();
      directory.names.clear();
      return send(req, res, 200, { ok: true });
    }
    if (route === "faults") {
      const kinds = Object.keys(FAULTS);
      if (!vendors.some((v) => v.name === input.vendor) || !kinds.includes(input.kind)) {
        return send(req, res, 400, { error: `vendor must be one of ${vendors.map((v) => v.name)}, kind one of ${kinds}` });
      }
      faults.push({ ...input, remaining: input.count ?? 1 });
      return send(req, res, 200, { ok: true });
    }
    if (route.startsWith("vendor/")) {
      const vendor = vendors.find((v) => v.name === route.slice("vendor/".length));
      if (!vendor?.control) return send(req, res, 404, { error: "no such vendor control" });
      return send(req, res, 200, vendor.control(input));
    }
    if (route === "names") {
      for (const [n, name] of Object.entries(input)) directory.names.set(Number(n), String(name));
      return send(req, res, 200, { ok: true, names: directory.names.size });
    }
    if (route === "latency") {
      try {
        latency = checkLatency(input);
        connected = new WeakSet();
      } catch (error) {
        return send(req, res, 400, { error: error.message });
      }
      return send(req, res, 200, { ok: true, latency });
    }
    if (route === "limits") {
      limits.enforce = input.enforce !== false;
      return send(req, res, 200, { ok: true, limits });
    }
    return send(req, res, 404, { error: "unknown control route" });
  }

  async function vendorRequest(req, res, url, vendor) {
    const body = await readBody(req);
    await handshake(req.socket);
    await leg(); // uplink: the vendor sees and counts the request only now
    const entry = { at: now(), vendor: vendor.name, method: req.method, path: url.pathname, status: 0, outcome: "", ids: 0 };
    log.push(entry);
    const fault = takeFault(vendor.name);
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === "reset") {
      entry.outcome = "fault_reset";
      await leg();
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status" || fault?.kind === "html") {
      entry.status = fault.kind === "html" ? 200 : (fault.status ?? 503);
      entry.outcome = `fault_${fault.kind}`;
      const page = `<!DOCTYPE html><html><head><title>${entry.status}</title></head><body><h1>Service unavailable</h1><p>emulated error page</p></body></html>`;
      await leg();
      return send(req, res, entry.status, page, { "content-type": "text/html; charset=utf-8", ...retryAfterHeader(fault) });
    }
    if (fault?.kind === "rate_limit") {
      const reply = vendor.rateLimitReply();
      entry.status = fault.status ?? reply.status;
      entry.outcome = "fault_rate_limit";
      await leg();
      return send(req, res, entry.status, reply.json, retryAfterHeader(fault));
    }
    if (fault?.kind === "stall") await new Promise((r) => setTimeout(r, fault.ms ?? 15_000));
    if (res.destroyed || req.socket.destroyed) {
      entry.outcome = "client_gone";
      return;
    }
    const ctx = { now, limits, appKey: undefined, ids: 0 };
    const reply = vendor.handle(req, url, body, ctx);
    Object.assign(entry, { appKey: ctx.appKey, ids: ctx.ids, status: reply.status, outcome: reply.outcome });
    if (fault?.kind === "stray_ids" || fault?.kind === "duplicates") alterEntries(vendor, reply, fault.kind);
    let text = reply.text ?? (reply.render ? reply.render(reply.json) : JSON.stringify(reply.json));
    if (fault?.kind === "truncate") text = text.slice(0, Math.floor(text.length / 2));
    const contentType =
      fault?.kind === "content_type" ? "text/html; charset=utf-8" : (reply.contentType ?? "application/json; charset=utf-8");
    await leg(); // downlink
    if (res.destroyed) return;
    res.writeHead(reply.status, { ...corsHeaders(req), "content-type": contentType, ...(reply.headers ?? {}) });
    res.end(text);
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://emulator");
      if (req.method === "OPTIONS") {
        res.writeHead(204, corsHeaders(req));
        return res.end();
      }
      if (url.pathname.startsWith(CONTROL)) return await control(req, res, url);
      const vendor = vendors.find((v) => v.matches(url));
      if (!vendor) return send(req, res, 404, { error: "no emulated vendor serves this path" });
      await vendorRequest(req, res, url, vendor);
    } catch (error) {
      if (!res.headersSent) send(req, res, 500, { error: String(error?.message ?? error) });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  return {
    directory,
    /** Binds to loopback only; resolves the base URL. */
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve(`http://${host}:${server.address().port}`));
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

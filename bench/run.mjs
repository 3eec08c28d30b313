// `make bench`: every figure of BENCHMARKS.md, each measured in this run next to its baseline,
// printed as one Markdown table. Nothing here asserts a timing.
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

import { oauth1Signature, tencentUserSig } from "improfiles";

import { easemobWithToken } from "../tests/node/helpers/easemob.mjs";
import { startEmulator } from "improfiles-emulator";
import { demoConfig } from "improfiles-emulator/accounts.mjs";
import { demoClient } from "improfiles-emulator/clients.mjs";
import { launchChromium } from "../tests/node/helpers/chromium.mjs";
import { startRedis } from "../tests/node/helpers/redis.mjs";
import { serveStatic } from "../tests/node/helpers/static-server.mjs";
import { kaixin } from "../tests/node/helpers/kaixin.mjs";
import { rongcloud } from "../tests/node/helpers/rongcloud.mjs";
import { SDK_APP_ID, SECRET_KEY, tencent } from "../tests/node/helpers/tencent.mjs";
import { MAPPERS } from "./mappers.mjs";
import { plainClient } from "./plain-client.mjs";
import { plainPaced } from "./plain-paced.mjs";
import { atDistance } from "./rate.mjs";

const require = createRequire(import.meta.url);
const OAuth = require("oauth-1.0a");
const TLSSigAPIv2 = require("tls-sig-api-v2");
const run = promisify(execFile);

// BENCH=rate,cpu,normalize,signing,size,memory runs only those sections.
const wanted = (section) => !process.env.BENCH || process.env.BENCH.split(",").includes(section);
const rows = [];
const row = (section, measure, value, baseline, ratio, goal) => {
  rows.push({ section, measure, value, baseline, ratio, goal });
  console.error(`[bench] ${section}: ${measure}: ${value}${baseline ? ` (baseline ${baseline})` : ""}${ratio ? ` → ${ratio}` : ""}`);
};
const range = (prefix, count, from = 1) => Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
const fixed = (x, digits = 2) => x.toFixed(digits);
const thousands = (x) => Math.round(x).toLocaleString("en-US");

const emulator = await startEmulator({ size: 1_000_000 });
// The test suite's clients on the emulator's demo accounts.
const CLIENTS = {
  rongcloud: (extra) => rongcloud(emulator, extra),
  tencent: (extra) => tencent(emulator, "tencent", extra),
  "tencent-attrs": (extra) => tencent(emulator, "tencent-attrs", extra),
  easemob: (extra) => easemobWithToken(emulator, extra),
  kaixin: (extra) => kaixin(emulator, extra),
};

// 1. Pacing at a distance: BENCH_RATE_SECONDS' worth (default 10) of requests at each vendor's
// documented rate, with the emulator's round trip at 0, 50, 200 and 500 ms (± 10%), counted by
// arrival at the emulator. Next to it, in the same run: a plain fetch loop with a send-time
// sliding window at concurrency 64 (its rate and what the vendor refused of it); and, for
// RongCloud, 2 and 4 processes sharing one app key through Redis.
const rateSeconds = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const RATE = [
  { vendor: "rongcloud", limit: 100, prefix: "u", perRequest: 100 },
  { vendor: "tencent", limit: 200, prefix: "t", perRequest: 100 },
  { vendor: "tencent-attrs", limit: 100, prefix: "t", perRequest: 100 },
  { vendor: "easemob", limit: 100, prefix: "user", perRequest: 1, count: 2_500 },
  { vendor: "kaixin", limit: 10, prefix: "", perRequest: 50 },
];
const DISTANCES = [
  [0, 0],
  [50, 5],
  [200, 20],
  [500, 50],
];
const seenText = (seen, limit) =>
  `${fixed(seen.rate / limit, 3)} of ${limit}/s, busiest 1-s window ${seen.busiest}, ${seen.refused} refused`;
const goalAt = (latencyMs) => (latencyMs === 0 ? "≥ 0.98, 0 refused" : latencyMs < 500 ? "≥ 0.95, 0 refused" : "≥ 0.88, 0 refused");
async function sharedThroughRedis(processes, ids, prefix) {
  const worker = fileURLToPath(new URL("../tests/node/helpers/limiter-worker.mjs", import.meta.url));
  const share = Math.ceil(ids.length / processes);
  await Promise.all(
    Array.from({ length: processes }, (_, w) =>
      run(process.execPath, [worker, emulator.url, redis.url, String(1 + w * share), String(share), prefix]),
    ),
  );
}
const redis = wanted("rate") ? await startRedis() : undefined;
for (const [latencyMs, jitterMs] of wanted("rate") ? DISTANCES : []) {
  for (const { vendor, limit, prefix, perRequest, count } of RATE) {
    const requests = Math.round(limit * rateSeconds);
    const ids = range(prefix, Math.min(requests * perRequest, count ?? Infinity));
    const distance = { vendor, latencyMs, jitterMs };
    const ours = await atDistance(emulator, distance, () => CLIENTS[vendor]().getProfiles(ids, { collect: false }));
    const plainVendor = vendor === "tencent-attrs" ? undefined : vendor;
    const plain =
      plainVendor && (await atDistance(emulator, distance, () => plainPaced({ vendor: plainVendor, baseUrl: emulator.url, ids, limit })));
    row(
      "pacing at a distance",
      `${vendor} at ${latencyMs} ± ${jitterMs} ms, default config, ${ours.requests} requests`,
      seenText(ours, limit),
      plain ? `plain JS: ${seenText(plain, limit)}` : "",
      plain ? fixed(ours.rate / plain.rate) : "",
      goalAt(latencyMs),
    );
  }
  const ids = range("u", 100 * rateSeconds * 100);
  if (latencyMs > 0) {
    // A cold start, as against a real vendor over TLS: each new connection's first request pays
    // two more round trips (TCP, TLS 1.3) on its way out.
    const cold = { vendor: "rongcloud", latencyMs, jitterMs, handshakeRoundTrips: 2 };
    const ours = await atDistance(emulator, cold, () => CLIENTS.rongcloud().getProfiles(ids, { collect: false }));
    const plain = await atDistance(emulator, cold, () => plainPaced({ vendor: "rongcloud", baseUrl: emulator.url, ids, limit: 100 }));
    row(
      "pacing at a distance",
      `rongcloud at ${latencyMs} ± ${jitterMs} ms from a cold start (new connections +2 round trips), ${ours.requests} requests`,
      seenText(ours, 100),
      `plain JS: ${seenText(plain, 100)}`,
      fixed(ours.rate / plain.rate),
      "0 refused",
    );
  }
  for (const processes of [2, 4]) {
    const shared = await atDistance(emulator, { vendor: "rongcloud", latencyMs, jitterMs }, () =>
      sharedThroughRedis(processes, ids, `bench-${processes}-${latencyMs}:`),
    );
    row(
      "pacing at a distance",
      `rongcloud at ${latencyMs} ± ${jitterMs} ms, ${processes} processes through Redis, ${shared.requests} requests`,
      seenText(shared, 100),
      "",
      "",
      goalAt(latencyMs),
    );
  }
  if (latencyMs > 0) {
    // A browser page: HTTP/1.1 to the emulator, so Chromium's 6 connections per origin cap it.
    const browserIds = 30_000; // 300 requests
    const inPage = await atDistance(emulator, { vendor: "rongcloud", latencyMs, jitterMs }, async () => {
      const [site, browser] = await Promise.all([serveStatic(fileURLToPath(new URL("..", import.meta.url))), launchChromium()]);
      try {
        const page = await browser.newPage();
        await page.goto(`${site.url}/bench/pages/rate.html?emulator=${encodeURIComponent(emulator.url)}&ids=${browserIds}`);
        await page.waitForFunction(() => window.outcome !== undefined, null, { timeout: 600_000 });
        return await page.evaluate(() => window.outcome);
      } finally {
        await Promise.all([site.close(), browser.close()]);
      }
    });
    row(
      "pacing at a distance",
      `rongcloud at ${latencyMs} ± ${jitterMs} ms in Chromium (HTTP/1.1, 6 connections per origin), ${inPage.requests} requests`,
      seenText(inPage, 100),
      "",
      "",
      `≤ 6 / RTT = ${Math.round(6000 / latencyMs)}/s`,
    );
  }
  if (latencyMs === 200) {
    const capped = await atDistance(emulator, { vendor: "rongcloud", latencyMs, jitterMs }, () =>
      CLIENTS.rongcloud({ concurrency: 8 }).getProfiles(ids.slice(0, 40_000), { collect: false }),
    );
    row(
      "pacing at a distance",
      `rongcloud at 200 ± 20 ms, concurrency: 8 (a cap), ${capped.requests} requests`,
      seenText(capped, 100),
      "",
      "",
      "≈ 8 / 0.2 s = 40/s",
    );
  }
}
await redis?.stop();

// 2. CPU cost: every vendor API, improfiles next to a plain JS client of the same API
// (bench/plain-client.mjs) on the same ids, with the rate limits lifted: one warm-up round of
// each (the JIT, and the emulator's answers that fail only the first time), then
// BENCH_CPU_ROUNDS (default 5) alternating rounds; the median of each. BENCH_CPU_VENDORS
// (say "kaixin,tencent") runs only those rows.
await emulator.limits({ enforce: false });
const CPU = [
  { vendor: "rongcloud", ids: range("u", 100_000) },
  { vendor: "tencent", ids: range("t", 100_000) },
  { vendor: "tencent-attrs", ids: range("t", 100_000) },
  { vendor: "easemob", ids: range("user", 2_500), mode: "token" },
  { vendor: "kaixin", ids: range("", 50_000, 1_001), mode: "oauth2" },
];
const cpuRounds = Number(process.env.BENCH_CPU_ROUNDS ?? 5);
async function cpuOf(work) {
  const before = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const used = process.cpuUsage(before);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started, profiles: result.profiles.length };
}
/** A result's profiles in one canonical text (by id, keys sorted): the warm-up round checks
 * that both clients map every profile alike, so that neither does less work. */
const profilesText = ({ profiles }) => {
  const canonical = (v) =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(v[k])]),
          )
        : v;
  return JSON.stringify(canonical(profiles.toSorted((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))));
};
const median = (runs, key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
// In Node a client without config.fetch sends through node:http(s) (js/package/node-fetch.cjs);
// the last row is RongCloud again through Node's own fetch, like the plain client, to show
// what the transport is worth and what the rest costs.
const NODE_FETCH = { vendor: "rongcloud", ids: CPU[0].ids, fetch: (url, init) => globalThis.fetch(url, init) };
const cpuVendors = process.env.BENCH_CPU_VENDORS?.split(",");
const cpuRows = [...CPU, NODE_FETCH].filter(({ vendor }) => !cpuVendors || cpuVendors.includes(vendor));
for (const { vendor, ids, mode, fetch } of wanted("cpu") ? cpuRows : []) {
  const ours = () => demoClient(vendor, emulator.url, { rateLimit: 100_000, ...(fetch && { fetch }) }, mode).getProfiles(ids);
  const plain = () => plainClient(vendor, { baseUrl: emulator.url, ids });
  const runs = { ours: [], plain: [] };
  const [a, b] = [await ours(), await plain()];
  if (profilesText(a) !== profilesText(b)) throw new Error(`${vendor}: the two clients' profiles differ`);
  for (let round = 1; round <= cpuRounds; round++) {
    const [a, b] = [await cpuOf(ours), await cpuOf(plain)];
    if (a.profiles !== b.profiles) throw new Error(`${vendor}: the two clients disagree: ${a.profiles} vs ${b.profiles} profiles`);
    runs.ours.push(a);
    runs.plain.push(b);
  }
  const [cpu, wall, plainCpu, plainWall] = [
    median(runs.ours, "cpuMs"),
    median(runs.ours, "wallMs"),
    median(runs.plain, "cpuMs"),
    median(runs.plain, "wallMs"),
  ];
  row(
    "CPU cost",
    `${vendor}${fetch ? " through Node's fetch (config.fetch)" : ""}: ${thousands(runs.ours[0].profiles)} profiles of ${thousands(ids.length)} ids, process CPU (median of ${cpuRounds})`,
    `${thousands(cpu)} ms CPU, ${thousands(wall)} ms wall`,
    `plain JS ${thousands(plainCpu)} ms CPU, ${thousands(plainWall)} ms wall`,
    fixed(cpu / plainCpu),
    "≤ 1.0",
  );
}

// 3. Normalize only: recorded responses, parsed and normalized again and again.
const recorded = {};
for (const [vendor, ids, extra] of !wanted("normalize")
  ? []
  : [
      ["rongcloud", range("u", 100), {}],
      ["tencent", range("t", 100, 1_101), {}],
      ["tencent-attrs", range("t", 100, 1_101), {}],
      [
        "kaixin",
        range("", 50, 1_001),
        { fields: ["uid", "name", "gender", "logo50", "logo120", "city", "birthday", "education", "career"] },
      ],
    ])
  if (wanted("normalize")) {
    let body;
    const recording = async (url, init) => {
      const response = await fetch(url, init);
      body ??= await response.clone().text();
      return response;
    };
    await CLIENTS[vendor]({ fetch: recording, ...extra }).getProfiles(ids);
    recorded[vendor] = { ids, body };
  }
if (wanted("normalize")) {
  let body;
  const recording = async (url, init) => {
    const response = await fetch(url, init);
    body = await response.clone().text();
    return response;
  };
  const page = await CLIENTS.easemob({ fetch: recording }).listProfiles({ pageSize: 100 });
  recorded.easemob = { ids: page.profiles.map((p) => p.id), body, listing: true };
}
// Each side 5 rounds of 300 ms, taking turns, and the median of each: one second of each, one
// after the other, moved the ratio by ±0.1 between runs of the same build.
const NORMALIZE_ROUNDS = 5;
function recordsPerSecond(fn, records) {
  let iterations = 0;
  const started = performance.now();
  while (performance.now() - started < 300) {
    for (let i = 0; i < 50; i++) fn();
    iterations += 50;
  }
  return (iterations * records) / ((performance.now() - started) / 1000);
}
// Both builds: `improfiles` (every vendor, built for speed) and the vendor's own entry (built
// for size; Cargo.toml's profiles).
const ENTRY = { rongcloud: "rongcloud", tencent: "tencent", "tencent-attrs": "tencent", easemob: "easemob", kaixin: "kaixin" };
for (const [vendor, { ids, body }] of Object.entries(recorded)) {
  const { ProfileClient: OneVendor } = await import(`improfiles/${ENTRY[vendor]}`);
  const clients = {
    improfiles: CLIENTS[vendor](),
    [`improfiles/${ENTRY[vendor]}`]: new OneVendor(demoConfig(vendor, emulator.url, vendor === "easemob" ? "token" : undefined)),
  };
  const response = { status: 200, body };
  const theirs = MAPPERS[vendor](JSON.parse(body));
  for (const [entry, client] of Object.entries(clients)) {
    const oursOnce = client.parseResponse(ids, response).profiles;
    const same =
      theirs.length === oursOnce.length &&
      theirs.every((p, i) => p.id === oursOnce[i].id && p.name === oursOnce[i].name && p.gender === oursOnce[i].gender);
    if (!same) throw new Error(`${vendor}: the JS mapper and ${entry} disagree`);
  }
  const n = theirs.length;
  const rates = { js: [], ...Object.fromEntries(Object.keys(clients).map((entry) => [entry, []])) };
  for (let round = 0; round < NORMALIZE_ROUNDS; round++) {
    for (const [entry, client] of Object.entries(clients)) {
      rates[entry].push(recordsPerSecond(() => client.parseResponse(ids, response), n));
    }
    rates.js.push(recordsPerSecond(() => MAPPERS[vendor](JSON.parse(body)), n));
  }
  const middle = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const jsRate = middle(rates.js);
  for (const entry of Object.keys(clients)) {
    const wasmRate = middle(rates[entry]);
    row(
      "normalize only",
      `${vendor} (${entry}): ${n} records a response (median of ${NORMALIZE_ROUNDS} rounds each, taking turns)`,
      `${thousands(wasmRate)} records/s`,
      `JS ${thousands(jsRate)} records/s`,
      fixed(wasmRate / jsRate),
      "≥ 1.0",
    );
  }
}

// 4. Signing.
function opsPerSecond(fn) {
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < 1000) {
    for (let i = 0; i < 100; i++) fn(i);
    n += 100;
  }
  return n / ((performance.now() - started) / 1000);
}
const oauth = OAuth({
  consumer: { key: "ck", secret: "cs" },
  signature_method: "HMAC-SHA1",
  hash_function: (b, k) => createHmac("sha1", k).update(b).digest("base64"),
});
const oauthRequest = {
  url: "https://api.kaixin001.com/users/show.json",
  method: "GET",
  data: { uids: range("", 50).join(","), fields: "uid,name,gender,logo50" },
};
const oauthToken = { key: "tk", secret: "ts" };
const oauthParams = (i) => ({
  ...oauthRequest.data,
  oauth_consumer_key: "ck",
  oauth_nonce: `nonce${i}abcdefghijklmnopqrstuvwx`,
  oauth_signature_method: "HMAC-SHA1",
  oauth_timestamp: "1700000000",
  oauth_token: "tk",
  oauth_version: "1.0",
});
if (wanted("signing")) {
  const ourOauth = opsPerSecond((i) =>
    oauth1Signature({ method: "GET", url: oauthRequest.url, params: oauthParams(i), consumerSecret: "cs", tokenSecret: "ts" }),
  );
  const theirOauth = opsPerSecond(() => oauth.authorize(oauthRequest, oauthToken));
  row(
    "signing",
    "OAuth 1.0a HMAC-SHA1 signatures",
    `${thousands(ourOauth)}/s`,
    `oauth-1.0a + node:crypto ${thousands(theirOauth)}/s`,
    fixed(ourOauth / theirOauth),
    "≥ 1.0",
  );
  const api = new TLSSigAPIv2.Api(SDK_APP_ID, SECRET_KEY);
  const ourSig = opsPerSecond((i) =>
    tencentUserSig({ sdkAppId: SDK_APP_ID, identifier: `user${i}`, secretKey: SECRET_KEY, expireSeconds: 86_400 }),
  );
  const theirSig = opsPerSecond((i) => api.genUserSig(`user${i}`, 86_400));
  row(
    "signing",
    "Tencent UserSigs (TLSSigAPIv2)",
    `${thousands(ourSig)}/s`,
    `tls-sig-api-v2 ${thousands(theirSig)}/s`,
    fixed(ourSig / theirSig),
    "≥ 1.0",
  );
}

// 5. Size and start.
if (wanted("size")) {
  const wasm = readFileSync(fileURLToPath(new URL("../pkg/web/improfiles_bg.wasm", import.meta.url)));
  const gzip = gzipSync(wasm, { level: 9 }).length;
  const brotli = brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  row(
    "size",
    ".wasm after wasm-opt, every vendor (improfiles)",
    `${thousands(wasm.length)} B raw, ${thousands(gzip)} B gzip -9, ${thousands(brotli)} B brotli`,
    "",
    "",
    "≤ 150 KB gzip",
  );
  for (const vendor of ["rongcloud", "tencent", "easemob", "kaixin"]) {
    const one = readFileSync(fileURLToPath(new URL(`../pkg/${vendor}/web/improfiles_bg.wasm`, import.meta.url)));
    const oneGzip = gzipSync(one, { level: 9 }).length;
    row("size", `.wasm of improfiles/${vendor}`, `${thousands(one.length)} B raw, ${thousands(oneGzip)} B gzip -9`, "", "", "≤ 80 KB gzip");
  }
  const starts = [];
  for (let i = 0; i < 5; i++) {
    const { stdout } = await run(
      process.execPath,
      ["-e", "const t = performance.now(); require('improfiles'); console.log(performance.now() - t)"],
      { cwd: fileURLToPath(new URL("..", import.meta.url)) },
    );
    starts.push(Number(stdout));
  }
  starts.sort((a, b) => a - b);
  row("start", "require('improfiles') in a fresh Node (median of 5)", `${fixed(starts[2], 1)} ms`, "", "", "");
}

// 6. Memory: a million ids with collect: false (its own process, so nothing else counts).
if (wanted("memory")) {
  await emulator.reset();
  await emulator.limits({ enforce: false });
  const out = join(mkdtempSync(join(tmpdir(), "improfiles-bench-")), "million.jsonl");
  const { stdout } = await run(process.execPath, [fileURLToPath(new URL("./million.mjs", import.meta.url)), emulator.url, out], {
    maxBuffer: 1 << 20,
  });
  const million = JSON.parse(stdout);
  row(
    "memory",
    `1,000,000 ids, collect: false, ${million.requests} requests in ${million.seconds} s, ${thousands(million.distinct)} distinct ids in the file`,
    `peak RSS +${million.callMb} MB during the call`,
    `+${million.growthMb} MB with the ids array`,
    "",
    "≤ 100 MB",
  );
  const millionIn = async (...args) => {
    await emulator.reset();
    await emulator.limits({ enforce: false });
    const script = fileURLToPath(new URL("./million.mjs", import.meta.url));
    return JSON.parse((await run(process.execPath, [script, emulator.url, out, ...args], { maxBuffer: 1 << 20 })).stdout);
  };
  const streamed = await millionIn("stream");
  const plain = await millionIn("plain");
  const at64 = await millionIn("stream", "64");
  const floor = await millionIn("floor");
  row(
    "memory",
    `1,000,000 ids from an async iterable, collect: false, ${streamed.requests} requests in ${streamed.seconds} s, ${thousands(streamed.distinct)} distinct ids in the file`,
    `peak RSS +${streamed.growthMb} MB`,
    `plain JS (fetch ×64, a Set, the same writer): +${plain.growthMb} MB, ${thousands(plain.distinct)} distinct ids; from an array: +${million.growthMb} MB`,
    (streamed.growthMb / plain.growthMb).toFixed(2),
    "≤ 100 MB",
  );
  row(
    "memory",
    `the same with concurrency: 64 (the plain client's, as a hard cap; by default the client starts with at most 128 out at a lifted rate, then finds fewer that answer as fast), ${at64.seconds} s`,
    `peak RSS +${at64.growthMb} MB`,
    `no client (the same ids and writer, profiles parsed from JSON made in-process): +${floor.growthMb} MB`,
    (at64.growthMb / floor.growthMb).toFixed(2),
    "≤ 100 MB",
  );
  const documented = await millionIn("documented");
  row(
    "memory",
    `the same at the client's own rate (RongCloud's documented 100 requests a second, no rateLimit given), ${documented.requests} requests in ${documented.seconds} s`,
    `peak RSS +${documented.growthMb} MB`,
    "",
    "",
    "≤ 100 MB",
  );
  const large = JSON.parse(
    (await run(process.execPath, [fileURLToPath(new URL("./large-result.mjs", import.meta.url))], { maxBuffer: 1 << 20 })).stdout,
  );
  row(
    "memory",
    "600,000 ids with ~1 KB profiles, collect: true (bench/large-result.mjs)",
    large.rejected ??
      `${thousands(large.profiles)} profiles in ${large.inOrder ? "order" : "the wrong order"} in ${large.seconds} s; peak RSS +${large.growthMb} MB, ${large.wasmMb} MB of wasm memory after`,
    "",
    "",
    "completes, no wasm trap",
  );
}

await emulator.stop();

console.log(
  `Machine: ${cpus().length} × ${cpus()[0].model}, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}. Command: make bench\n`,
);
console.log("| section | measure | improfiles | baseline | ratio | goal |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.section} | ${r.measure} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.goal} |`);

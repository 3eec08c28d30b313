// 1,000,000 RongCloud ids with `collect: false` and an onBatch that writes JSON lines to a
// file, against an emulator whose rate limits are lifted. Prints one JSON line: requests,
// seconds, the file's line and distinct-id counts, and the peak RSS growth (over the start,
// and during the call alone: the rest is the ids array), sampled every 5 ms. With `stream`,
// the ids come from an async generator instead of an array, and never all exist at once;
// `documented` streams them at the client's own rate, RongCloud's documented 100 requests a
// second (100 s), as a script run with the defaults would.
// With `plain`, the same streamed job is done the way a user would without improfiles — the
// baseline: fetch 64 at a time (bench/plain-client.mjs's requests), a Set of the ids seen
// for the repeats, the same writer; `floor` is that job with no client at all (see
// withoutImprofiles). A fourth argument gives improfiles a `concurrency`. Used by `make
// bench` and by tests/node/scale.test.mjs:
// `node bench/million.mjs <emulator url> <out file> array|stream|documented|plain|floor [concurrency]`.
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";

import { rongcloud } from "../tests/node/helpers/rongcloud.mjs";
import { plainRequest } from "./plain-client.mjs";

const [baseUrl, path, mode = "array", concurrency] = process.argv.slice(2);
const MILLION = 1_000_000;
const rss = () => process.memoryUsage().rss;

const startRss = rss();
let peakRss = startRss;
const sample = () => (peakRss = Math.max(peakRss, rss()));
const timer = setInterval(sample, 5);
const out = createWriteStream(path);
let drained;
async function* generated() {
  for (let i = 1; i <= MILLION; i++) yield `u${i}`;
}
const ids = mode !== "array" ? generated() : Array.from({ length: MILLION }, (_, i) => `u${i + 1}`);
const beforeCall = rss();
async function write(profiles, failures) {
  let text = "";
  for (const p of profiles) text += `${JSON.stringify({ id: p.id, name: p.name })}\n`;
  for (const f of failures) text += `${JSON.stringify({ id: f.id, code: f.code })}\n`;
  // One wait for "drain" however many batches wait on it.
  if (!out.write(text)) {
    drained ??= once(out, "drain").finally(() => {
      drained = undefined;
    });
    await drained;
  }
  sample();
}
/**
 * The job without improfiles, 64 requests' worth of ids at a time: `plain` is the baseline
 * (plain-client.mjs's request, no retries or pacing, a Set of the ids seen for the repeats);
 * `floor` is what is left of any client: the same ids and writer, each request's profiles
 * parsed from JSON made in this process (no fetch, no repeats looked for).
 */
async function withoutImprofiles(floor) {
  const seen = new Set();
  const stats = { requests: 0, profiles: 0, failures: 0 };
  const made = (chunk) => ({
    profiles: JSON.parse(JSON.stringify(chunk.map((id) => ({ id, name: `User ${id}`, avatarUrl: `https://cdn.example.com/${id}.png` })))),
    failures: [],
  });
  async function worker() {
    for (;;) {
      const chunk = [];
      while (chunk.length < 100) {
        const { value, done } = await ids.next();
        if (done) break;
        if (!floor && seen.has(value)) continue;
        if (!floor) seen.add(value);
        chunk.push(value);
      }
      if (chunk.length === 0) return;
      const { profiles, failures } = await (floor ? made(chunk) : plainRequest("rongcloud", baseUrl, chunk));
      Object.assign(stats, {
        requests: stats.requests + 1,
        profiles: stats.profiles + profiles.length,
        failures: stats.failures + failures.length,
      });
      await write(profiles, failures);
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker));
  return { stats, profiles: [], failures: [] };
}
const started = performance.now();
const result =
  mode === "plain" || mode === "floor"
    ? await withoutImprofiles(mode === "floor")
    : await rongcloud(
        { url: baseUrl },
        { ...(mode !== "documented" && { rateLimit: 100_000 }), ...(concurrency && { concurrency: Number(concurrency) }) },
      ).getProfiles(ids, {
        collect: false,
        onBatch: ({ profiles, failures }) => write(profiles, failures),
      });
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
out.end();
await once(out, "finish");

const seen = new Set();
let lines = 0;
for await (const line of createInterface({ input: createReadStream(path) })) {
  seen.add(JSON.parse(line).id);
  lines++;
}
const mb = (bytes) => Math.round(bytes / 2 ** 20);
console.log(
  JSON.stringify({
    requests: result.stats.requests,
    settled: result.stats.profiles + result.stats.failures,
    collected: result.profiles.length + result.failures.length,
    seconds: Number(seconds.toFixed(1)),
    lines,
    distinct: seen.size,
    growthMb: mb(peakRss - startRss),
    callMb: mb(peakRss - beforeCall),
  }),
);

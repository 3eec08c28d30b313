// 600,000 RongCloud ids with ~1 KB profiles (a name of 700 characters, 1,000 bytes of UTF-8)
// and `collect: true`, from a fetch that answers at once: the whole result must come back.
// Prints one JSON line: the counts, seconds, peak RSS growth (sampled every 20 ms) and the
// size of the wasm memory after the call (it never shrinks). Used by `make bench`:
// `node bench/large-result.mjs`.
import { wasmMemoryBytes } from "../tests/node/helpers/wasm-memory.mjs";

const { demoClient } = await import("improfiles-emulator/clients.mjs");

const IDS = 600_000;
const name = "名".repeat(150) + "x".repeat(550);
const fetch = async (_url, init) => {
  const ids = new URLSearchParams(init.body).getAll("userId");
  const users = ids.map((userId) => ({ userId, userProfile: { name, email: `${userId}@example.com` } }));
  return new Response(JSON.stringify({ code: 200, userList: users }), { headers: { "content-type": "application/json" } });
};
const mb = (bytes) => Math.round(bytes / 2 ** 20);
const ids = Array.from({ length: IDS }, (_, i) => `u${i + 1}`);
const startRss = process.memoryUsage().rss;
let peakRss = startRss;
const timer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const started = performance.now();
const client = demoClient("rongcloud", "https://vendor.invalid", { fetch, rateLimit: 100_000 });
const outcome = await client.getProfiles(ids).then(
  (result) => ({
    profiles: result.profiles.length,
    failures: result.failures.length,
    inOrder: result.profiles.every((p, i) => p.id === ids[i]),
  }),
  (error) => ({ rejected: `${error.code}: ${error.message}` }),
);
clearInterval(timer);
console.log(
  JSON.stringify({
    ...outcome,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    growthMb: mb(peakRss - startRss),
    wasmMb: mb(wasmMemoryBytes()),
  }),
);

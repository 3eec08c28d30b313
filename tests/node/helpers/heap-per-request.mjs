// Run with --expose-gc: `node --expose-gc heap-per-request.mjs <emulator url>`. Sends 2,000
// single-id calls to warm up, then 18,000 more, each with an AbortSignal of its own, and prints
// the JS heap after a full collection at both points and how many of the signals were
// collected.
import { rongcloud } from "./rongcloud.mjs";

const [url] = process.argv.slice(2);
const client = rongcloud({ url }, { rateLimit: 100_000 });
let collected = 0;
const registry = new FinalizationRegistry(() => collected++);
let n = 0;
async function calls(count) {
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, () => {
        const { signal } = new AbortController();
        registry.register(signal, null);
        return client.getProfiles([`u${(n++ % 50_000) + 1}`], { signal });
      }),
    );
  }
}
const heap = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
};
await calls(2_000);
const warm = await heap();
await calls(18_000);
const after = await heap();
console.log(JSON.stringify({ requests: n, warm, after, perRequest: (after - warm) / 18_000, signalsCollected: collected }));

// The plain-JavaScript baseline for pacing at a distance: what a user writes with fetch and a
// send-time sliding window (at most `limit` sends in any trailing second) and `concurrency`
// requests in flight, no retries. It reaches the rate by send time; the vendor counts by
// arrival, so latency that varies pushes some of its seconds over the limit, and the vendor
// refuses the excess. The requests are bench/requests.mjs's.
import { REQUESTS } from "./requests.mjs";

const chunks = (ids, size) => Array.from({ length: Math.ceil(ids.length / size) }, (_, i) => ids.slice(i * size, (i + 1) * size));

/** Sends every request for `ids` to `vendor` at `limit` per second by send time; resolves when all ended. */
export async function plainPaced({ vendor, baseUrl, ids, limit, concurrency = 64 }) {
  const builder = REQUESTS[vendor];
  const pending = chunks(ids, builder.size);
  const sentAt = []; // send times within the last second
  let next = 0;
  async function worker() {
    while (next < pending.length) {
      for (;;) {
        const now = Date.now();
        while (sentAt.length && sentAt[0] <= now - 1000) sentAt.shift();
        if (sentAt.length < limit) break;
        await new Promise((resolve) => setTimeout(resolve, sentAt[0] + 1000 - now));
      }
      if (next >= pending.length) return;
      const batch = pending[next++];
      sentAt.push(Date.now());
      const response = await fetch(...builder.request(baseUrl, batch));
      await response.text();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

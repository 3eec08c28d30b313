// The plain-JavaScript clients the CPU comparison runs against, one per vendor API: the same
// requests as improfiles' defaults (bench/requests.mjs), 8 at a time, the same normalized
// output, written the way a user would — fetch, JSON.parse, mapping — with no retries or
// pacing (the emulator's rate limits are lifted for the comparison).
import { MAPPERS } from "./mappers.mjs";
import { REQUESTS } from "./requests.mjs";

/** `{ profiles, failures }` of the ids of one request: fetched, parsed and mapped. */
export async function plainRequest(vendor, baseUrl, ids) {
  const response = await fetch(...REQUESTS[vendor].request(baseUrl, ids));
  const text = await response.text();
  const profiles = response.ok ? MAPPERS[vendor](JSON.parse(text)) : [];
  const named = new Set(profiles.map((p) => p.id));
  const failures = ids.filter((id) => !named.has(id)).map((id) => ({ id, code: "not_found", message: "no such user", retryable: false }));
  return { profiles, failures };
}

/** `{ profiles, failures }` for `ids` of `vendor` from the emulator at `baseUrl`. */
export async function plainClient(vendor, { baseUrl, ids, concurrency = 8 }) {
  const { size } = REQUESTS[vendor];
  const unique = [...new Set(ids)];
  const chunks = [];
  for (let i = 0; i < unique.length; i += size) chunks.push(unique.slice(i, i + size));
  const profiles = [];
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < chunks.length) {
      const found = await plainRequest(vendor, baseUrl, chunks[next++]);
      profiles.push(...found.profiles);
      failures.push(...found.failures);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { profiles, failures };
}

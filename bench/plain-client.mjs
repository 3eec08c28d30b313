// The plain-JavaScript RongCloud client the CPU comparison runs against: the same chunking
// (100 ids a request), the same concurrency (8), the same normalized output, written the way
// a user would — fetch, JSON.parse, mapping — with no retries or pacing (the emulator's rate
// limits are lifted for the comparison).
import { createHash, randomBytes } from "node:crypto";

import { MAPPERS } from "./mappers.mjs";

export async function plainRongCloud({ baseUrl, appKey, appSecret, ids, concurrency = 8, batchSize = 100 }) {
  const unique = [...new Set(ids)];
  const chunks = [];
  for (let i = 0; i < unique.length; i += batchSize) chunks.push(unique.slice(i, i + batchSize));
  const profiles = [];
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      const nonce = randomBytes(8).toString("hex");
      const timestamp = String(Date.now());
      const signature = createHash("sha1")
        .update(appSecret + nonce + timestamp)
        .digest("hex");
      const response = await fetch(`${baseUrl}/user/profile/batch/query.json`, {
        method: "POST",
        headers: {
          "App-Key": appKey,
          Nonce: nonce,
          Timestamp: timestamp,
          Signature: signature,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: chunk.map((id) => `userId=${encodeURIComponent(id)}`).join("&"),
      });
      const found = MAPPERS.rongcloud(JSON.parse(await response.text()));
      const named = new Set(found.map((p) => p.id));
      profiles.push(...found);
      for (const id of chunk) if (!named.has(id)) failures.push({ id, code: "not_found", message: "no such user", retryable: false });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { profiles, failures };
}

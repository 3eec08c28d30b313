// Child process of memory.test.mjs: a fresh wasm instance, its memory read through the
// instance the glue creates (./wasm-memory.mjs). 200 RongCloud requests of 100 ~1 KB profiles
// are held until all 200 are out, then answered together; prints how far wasm memory grew
// over a call of the same ids answered one at a time: `node wasm-burst.mjs collected`
// (`collect: true`) or `node wasm-burst.mjs batches` (`onBatch` with `collect: false`).
import { wasmMemoryBytes } from "./wasm-memory.mjs";

const { demoClient } = await import("improfiles-emulator/clients.mjs");

const IN_FLIGHT = 200;
const name = "名".repeat(150) + "x".repeat(550);
const answer = (init) => {
  const users = new URLSearchParams(init.body).getAll("userId").map((userId) => ({ userId, userProfile: { name } }));
  return new Response(JSON.stringify({ code: 200, userList: users }), { headers: { "content-type": "application/json" } });
};
/** A fetch that holds every request until `together` are out, then answers them all. */
function burstFetch(together) {
  const held = [];
  return (_url, init) =>
    new Promise((resolve) => {
      held.push(() => resolve(answer(init)));
      if (held.length === together) for (const release of held.splice(0)) release();
    });
}
const ids = Array.from({ length: IN_FLIGHT * 100 }, (_, i) => `u${i + 1}`);
const client = (fetch) => demoClient("rongcloud", "https://vendor.invalid", { fetch, rateLimit: 100_000, concurrency: IN_FLIGHT });

const options = process.argv[2] === "batches" ? { collect: false, onBatch: () => {} } : {};
// One request at a time first: whatever a call needs however its answers come.
const alone = await client(burstFetch(1)).getProfiles(ids, options);
const before = wasmMemoryBytes();
const together = await client(burstFetch(IN_FLIGHT)).getProfiles(ids, options);
if (alone.stats.profiles !== ids.length || together.stats.profiles !== ids.length) throw new Error("profiles missing");
console.log(JSON.stringify({ grewBytes: wasmMemoryBytes() - before }));

// Nothing of a finished request stays behind in the JS heap: its timeout timer, its closures
// and its AbortSignal are collectable once it has ended.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";

import { startEmulator } from "improfiles-emulator";

const run = promisify(execFile);
let emulator;
before(async () => {
  emulator = await startEmulator();
  await emulator.limits({ enforce: false });
});
after(() => emulator.stop());

test("the JS heap stays flat over 20,000 requests", { timeout: 120_000 }, async () => {
  const script = fileURLToPath(new URL("./helpers/heap-per-request.mjs", import.meta.url));
  const { stdout } = await run(process.execPath, ["--expose-gc", script, emulator.url]);
  const figures = JSON.parse(stdout);
  console.log(
    `# heap after 2,000 requests ${(figures.warm / 2 ** 20).toFixed(1)} MB, after 20,000 ${(figures.after / 2 ** 20).toFixed(1)} MB: ${figures.perRequest.toFixed(0)} B per request; ${figures.signalsCollected} of 20,000 AbortSignals collected`,
  );
  // 1.1 KB a request was kept before, and no signal was ever collected; a few bytes of
  // noise per request are not a leak.
  assert.ok(figures.perRequest < 100, `${figures.perRequest.toFixed(0)} bytes kept per request`);
  assert.ok(figures.signalsCollected > 18_000, `${figures.signalsCollected} AbortSignals collected`);
});

// Wasm memory never shrinks back: what one burst of answers makes it grow to, the client keeps.
// 200 answers of 100 ~1 KB profiles arriving together are ~22 MB of results; each request's
// are taken out of wasm as it is handed in, so a burst needs no more than answers one at a
// time (before: 61-73 MB more).
for (const mode of ["collected", "batches"]) {
  test(`200 answers arriving together grow wasm memory no more than answers one at a time (${mode})`, async () => {
    const script = fileURLToPath(new URL("./helpers/wasm-burst.mjs", import.meta.url));
    const { grewBytes } = JSON.parse((await run(process.execPath, [script, mode])).stdout);
    console.log(`# ${mode}: wasm memory grew ${(grewBytes / 2 ** 20).toFixed(1)} MB over answers one at a time`);
    assert.ok(grewBytes < 8 * 2 ** 20, `wasm memory grew ${grewBytes} bytes`);
  });
}

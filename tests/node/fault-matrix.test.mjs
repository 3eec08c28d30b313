// Every injected fault against every vendor it applies to. In each cell a fresh client meets
// the fault on its first requests, and must end with exactly the result of a fault-free run
// (the accounting rule, and transient faults ending as profiles), with no unhandled promise
// rejection; then the same client must serve a second call. The table is printed and written
// to tests/output/fault-matrix.md.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";

import { accountingErrors, startEmulator } from "improfiles-emulator";
import { easemobWithToken } from "./helpers/easemob.mjs";
import { kaixin } from "./helpers/kaixin.mjs";
import { mixedIds, rongcloud } from "./helpers/rongcloud.mjs";
import { accounts, tencent } from "./helpers/tencent.mjs";

const unhandled = [];
process.on("unhandledRejection", (reason) => unhandled.push(reason));

let emulator;
before(async () => (emulator = await startEmulator()));
after(() => emulator.stop());

const TIMEOUT_MS = 500;
const numbered = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

// The emulator's Tencent accounts t7, t57, t107… fail transiently once by design (tested in
// tencent.test.mjs); left out here so that a fault-free run needs no retry at all.
const steadyAccounts = accounts(250, 40).filter((id) => !/^t\d+$/.test(id) || Number(id.slice(1)) % 50 !== 7);

// Each vendor with ids for about three requests (Easemob looks users up one by one).
const VENDORS = [
  { column: "rongcloud", vendor: "rongcloud", ids: mixedIds(250, 40), client: (c) => rongcloud(emulator, c) },
  { column: "tencent", vendor: "tencent", ids: steadyAccounts, client: (c) => tencent(emulator, "tencent", c) },
  { column: "tencent-attrs", vendor: "tencent-attrs", ids: steadyAccounts, client: (c) => tencent(emulator, "tencent-attrs", c) },
  {
    column: "easemob",
    vendor: "easemob",
    ids: [...numbered("user", 24), "ghost-1", "ghost-2"],
    client: (c) => easemobWithToken(emulator, c),
  },
  { column: "kaixin", vendor: "kaixin", ids: numbered("", 140), client: (c) => kaixin(emulator, c) },
  { column: "kaixin (xml)", vendor: "kaixin", ids: numbered("", 140), client: (c) => kaixin(emulator, { format: "xml", ...c }) },
];

// `alters`: the fault changes a good reply without failing the request, so no retry is due.
const FAULTS = [
  { row: "500 burst", fault: { kind: "status", status: 500, count: 3 } },
  { row: "502 burst", fault: { kind: "status", status: 502, count: 3 } },
  { row: "503 burst", fault: { kind: "status", status: 503, count: 3 } },
  { row: "429 + Retry-After: 1", fault: { kind: "status", status: 429, retryAfter: 1 } },
  { row: "429 + Retry-After: <HTTP date>", fault: { kind: "status", status: 429, retryAfter: 2, retryAfterForm: "date" } },
  { row: "vendor's rate-limit reply", fault: { kind: "rate_limit", count: 2 } },
  { row: "rate-limit code in a 200 body", fault: { kind: "rate_limit", status: 200 }, only: ["rongcloud", "tencent", "tencent-attrs"] },
  { row: `stall past timeoutMs (${TIMEOUT_MS})`, fault: { kind: "stall", ms: 1_500, count: 2 } },
  { row: "connection reset", fault: { kind: "reset", count: 2 } },
  { row: "truncated body (JSON / XML)", fault: { kind: "truncate", count: 2 } },
  { row: "HTML error page (200)", fault: { kind: "html", count: 2 } },
  { row: "wrong content type", fault: { kind: "content_type", count: 2 }, alters: true },
  { row: "ids nobody asked for", fault: { kind: "stray_ids", count: 3 }, alters: true },
  { row: "duplicated entries", fault: { kind: "duplicates", count: 3 }, alters: true },
];

/** What a result says, independent of order and timing: profile ids and failure codes. */
function summary(result) {
  return {
    profiles: result.profiles.map((p) => p.id).sort(),
    failures: result.failures.map((f) => `${f.id}:${f.code}`).sort(),
  };
}

const baselines = new Map();
const table = new Map(FAULTS.map(({ row }) => [row, new Map()]));

test("fault-free baselines", async () => {
  for (const v of VENDORS) {
    await emulator.reset();
    const result = await v.client({ timeoutMs: TIMEOUT_MS }).getProfiles(v.ids);
    assert.deepEqual(accountingErrors(v.ids, result), [], v.column);
    assert.ok(result.profiles.length > 0, v.column);
    assert.equal(result.stats.retries, 0, v.column);
    baselines.set(v.column, summary(result));
  }
});

for (const { row, fault, only, alters } of FAULTS) {
  for (const v of VENDORS) {
    if (only && !only.includes(v.column)) continue;
    test(`${row} × ${v.column}`, async () => {
      await emulator.reset();
      await emulator.fault({ vendor: v.vendor, ...fault });
      const client = v.client({ timeoutMs: TIMEOUT_MS });
      const result = await client.getProfiles(v.ids);
      assert.deepEqual(accountingErrors(v.ids, result), []);
      const log = await emulator.log();
      assert.ok(
        log.some((e) => e.fault === fault.kind),
        "the fault was met",
      );
      assert.deepEqual(summary(result), baselines.get(v.column), "the same result as without the fault");
      if (alters) assert.equal(result.stats.retries, 0, "a readable reply is not retried");
      else assert.ok(result.stats.retries > 0, "the failed requests were retried");

      const again = await client.getProfiles(v.ids.slice(0, 5));
      assert.deepEqual(accountingErrors(v.ids.slice(0, 5), again), [], "the client still works");
      assert.deepEqual(unhandled, []);
      table.get(row).set(v.column, `ok ${result.stats.requests}/${result.stats.retries}`);
    });
  }
}

test("the matrix table", (t) => {
  const columns = VENDORS.map((v) => v.column);
  const lines = [
    `| fault | ${columns.join(" | ")} |`,
    `|---|${columns.map(() => "---").join("|")}|`,
    ...FAULTS.map(({ row, only }) => {
      const cells = columns.map((c) => (only && !only.includes(c) ? "n/a" : (table.get(row).get(c) ?? "FAILED")));
      return `| ${row} | ${cells.join(" | ")} |`;
    }),
  ];
  const text = `Cells: requests/retries of the faulted call; every cell equals its fault-free baseline.\n\n${lines.join("\n")}\n`;
  mkdirSync(new URL("../output/", import.meta.url), { recursive: true });
  writeFileSync(new URL("../output/fault-matrix.md", import.meta.url), text);
  for (const line of text.split("\n")) t.diagnostic(line);
  assert.ok(
    lines.every((line) => !line.includes("FAILED")),
    "every applicable cell passed",
  );
  assert.deepEqual(unhandled, []);
});

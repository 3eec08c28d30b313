#!/usr/bin/env node
// `make demo`: the main job through the `improfiles` command line, against the embedded
// emulator: 13,000 RongCloud ids (duplicates and unknown ids among them), enough to run into
// the vendor's documented 100 requests/s, then a few hundred ids from every other vendor.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { busiestSecond, demoConfig, startEmulator } from "improfiles-emulator";

const CLI = fileURLToPath(new URL("../pkg/cli.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "improfiles-demo-"));

function improfiles(args, stdoutFile) {
  console.log(`$ improfiles ${args.join(" ")}${stdoutFile ? ` > ${stdoutFile}` : ""}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.on("exit", (code) => {
      const out = Buffer.concat(chunks).toString("utf8");
      if (stdoutFile) writeFileSync(stdoutFile, out);
      resolve({ code, out });
    });
  });
}

const emulator = await startEmulator();
/** `--config` with the emulator's demo account for `vendor`: the command line ships without any. */
function config(vendor) {
  const file = join(dir, `${vendor}.json`);
  writeFileSync(file, JSON.stringify(demoConfig(vendor, emulator.url)));
  return ["--config", file];
}
try {
  const ids = [];
  for (let i = 1; i <= 12_000; i++) {
    ids.push(`u${i}`);
    if (i % 10 === 0) ids.push(`u${i - 5}`); // duplicates
    if (i % 12 === 0) ids.push(`former-user-${i}`); // ids the directory does not have
  }
  const idsFile = join(dir, "rongcloud-ids.txt");
  writeFileSync(idsFile, `${ids.join("\n")}\n`);
  console.log(`improfiles demo: ${ids.length} ids (${new Set(ids).size} distinct) from RongCloud, emulator at ${emulator.url}\n`);
  const csv = join(dir, "profiles.csv");
  const { code } = await improfiles(["get", "--vendor", "rongcloud", "--ids", idsFile, "--format", "csv", ...config("rongcloud")], csv);
  const lines = readFileSync(csv, "utf8").trim().split("\n");
  console.log(`exit code ${code} (1: some ids failed), ${lines.length - 1} rows in ${csv}; the first ones:`);
  for (const line of lines.slice(0, 6)) console.log(`  ${line.slice(0, 150)}`);
  const byCode = {};
  for (const line of lines.slice(1))
    if (line.includes(",failed,")) byCode[line.split(",").at(-2)] = (byCode[line.split(",").at(-2)] ?? 0) + 1;
  console.log(`failures by code: ${JSON.stringify(byCode)}`);
  const log = (await emulator.log()).filter((e) => e.vendor === "rongcloud");
  const span = (log.at(-1).at - log[0].at) / 1000;
  console.log(
    `emulator saw ${log.length} requests over ${span.toFixed(2)} s; busiest 1-second window ${busiestSecond(log)} (RongCloud allows 100); rejected ${log.filter((e) => e.status !== 200).length}\n`,
  );

  const others = [
    ["tencent", Array.from({ length: 300 }, (_, i) => `t${i + 1}`)],
    ["tencent-attrs", Array.from({ length: 300 }, (_, i) => `t${i + 1}`)],
    ["easemob", Array.from({ length: 40 }, (_, i) => `user${i + 1}`)],
    ["kaixin", Array.from({ length: 150 }, (_, i) => String(i + 1))],
  ];
  for (const [vendor, list] of others) {
    const file = join(dir, `${vendor}-ids.txt`);
    writeFileSync(file, `${list.join("\n")}\n`);
    const { out } = await improfiles(["get", "--vendor", vendor, "--ids", file, "--format", "jsonl", ...config(vendor), "--quiet"]);
    const rows = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const first = rows.find((r) => r.status === "ok");
    console.log(
      `  ${rows.filter((r) => r.status === "ok").length} profiles, ${rows.filter((r) => r.status !== "ok").length} failures; e.g. ${JSON.stringify({ id: first.id, name: first.name, gender: first.gender })}`,
    );
  }
} finally {
  await emulator.stop();
}

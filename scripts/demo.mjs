#!/usr/bin/env node
// `make demo`: the main job against the embedded emulator. Fetches some thousands of
// RongCloud profiles (duplicates and unknown ids included), enough requests to run into the
// vendor's documented 100 requests/s, and prints what a user would want to see.

import { ProfileClient } from "improfiles";

import { busiestSecond, startEmulator } from "../tests/node/helpers/emulator.mjs";

const emulator = await startEmulator();
try {
  const ids = [];
  for (let i = 1; i <= 12_000; i++) {
    ids.push(`u${i}`);
    if (i % 10 === 0) ids.push(`u${i - 5}`); // duplicates
    if (i % 12 === 0) ids.push(`former-user-${i}`); // ids the directory does not have
  }
  const client = new ProfileClient({ vendor: "rongcloud", appKey: "demo-app-key", appSecret: "demo-app-secret", baseUrl: emulator.url });
  console.log(`improfiles demo: ${ids.length} ids (${new Set(ids).size} distinct) from RongCloud at ${emulator.url}`);
  console.log(`client: ${JSON.stringify(client)}\n`);

  const result = await client.getProfiles(ids, {
    onProgress: (p) => process.stderr.isTTY && process.stderr.write(`\r  ${p.done}/${p.total} ids, ${p.requests} requests, ${p.failed} failed `),
  });
  if (process.stderr.isTTY) process.stderr.write("\n");

  const { stats } = result;
  console.log(`profiles ${stats.profiles}, failures ${stats.failures}, requested ${stats.requested}: every id accounted for: ${stats.profiles + stats.failures === stats.requested}`);
  console.log(`${stats.requests} requests (${stats.retries} retries) in ${(stats.elapsedMs / 1000).toFixed(2)} s\n`);

  console.table(result.profiles.slice(0, 8).map((p) => ({
    id: p.id, name: p.name, gender: p.gender, birthday: p.birthday, location: p.location, level: p.level, vip: p.custom.vip ?? "",
  })));

  const byCode = {};
  for (const failure of result.failures) (byCode[failure.code] ??= []).push(failure);
  console.log("failures by code:");
  for (const [code, list] of Object.entries(byCode)) console.log(`  ${code}: ${list.length} (e.g. ${list[0].id}: ${list[0].message})`);

  const log = (await emulator.log()).filter((e) => e.vendor === "rongcloud");
  const span = (log.at(-1).at - log[0].at) / 1000;
  console.log(`\nemulator saw ${log.length} requests over ${span.toFixed(2)} s (${((log.length - 1) / span).toFixed(1)} requests/s between first and last arrival)`);
  console.log(`busiest 1-second window: ${busiestSecond(log)} requests (RongCloud allows 100); rejected by the emulator: ${log.filter((e) => e.status !== 200).length}`);
} finally {
  await emulator.stop();
}

#!/usr/bin/env node
// Starts the vendor emulator:
//   node emulator/cli.mjs [--port N] [--seed S] [--size N] [--latency-ms L] [--jitter-ms J]
// (--latency-ms: the round trip each vendor request takes, ± --jitter-ms; see server.mjs).
// Prints `listening <url>` on its first line, and stops on SIGINT/SIGTERM.

import { createEmulator } from "./server.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

const emulator = createEmulator({
  seed: option("seed", undefined),
  size: option("size", undefined),
  latencyMs: option("latency-ms", 0),
  jitterMs: option("jitter-ms", 0),
});
const url = await emulator.listen(option("port", 0));
process.stdout.write(`listening ${url}\n`);
const stop = async () => {
  await emulator.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

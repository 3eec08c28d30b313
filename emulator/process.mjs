// Starts the vendor emulator in a child process (so its event loop never shares time with
// the client under test) on a free loopback port, and drives its control API.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("./cli.mjs", import.meta.url));

export async function startEmulator({ seed, size, latencyMs, jitterMs } = {}) {
  const args = [CLI, "--port", "0"];
  if (seed !== undefined) args.push("--seed", String(seed));
  if (size !== undefined) args.push("--size", String(size));
  if (latencyMs !== undefined) args.push("--latency-ms", String(latencyMs));
  if (jitterMs !== undefined) args.push("--jitter-ms", String(jitterMs));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/listening (\S+)/);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code} before listening`)));
  });

  async function control(route, body) {
    const response = await fetch(
      `${url}/__emulator/${route}`,
      body === undefined
        ? {}
        : {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          },
    );
    if (!response.ok) throw new Error(`emulator ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  }

  return {
    url,
    log: () => control("log"),
    reset: () => control("reset", {}),
    fault: (fault) => control("faults", fault),
    limits: (limits) => control("limits", limits),
    /** Sets users' names (`{ n: name }`) until the next reset. */
    names: (names) => control("names", names),
    /** The emulated network's round trip, `{ latencyMs, jitterMs, handshakeRoundTrips }` (see server.mjs). */
    latency: (latency) => control("latency", latency),
    vendorControl: (vendor, input) => control(`vendor/${vendor}`, input),
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}

/** The most requests of `entries` (accepted ones) that arrived within any 1-second window. */
export function busiestSecond(entries) {
  const times = entries.map((e) => e.at).sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end] - times[start] >= 1000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Checks the accounting rule: every distinct id exactly once, profiles or failures. */
export function accountingErrors(ids, result) {
  const distinct = new Set(ids);
  const seen = new Map();
  for (const p of result.profiles) seen.set(p.id, (seen.get(p.id) ?? 0) + 1);
  for (const f of result.failures) seen.set(f.id, (seen.get(f.id) ?? 0) + 1);
  const errors = [];
  for (const id of distinct) if (seen.get(id) !== 1) errors.push(`${id} appears ${seen.get(id) ?? 0} times`);
  for (const id of seen.keys()) if (!distinct.has(id)) errors.push(`${id} was never asked for`);
  if (result.stats.profiles !== result.profiles.length) errors.push("stats.profiles disagrees");
  if (result.stats.failures !== result.failures.length) errors.push("stats.failures disagrees");
  if (result.stats.requested !== distinct.size) errors.push("stats.requested disagrees");
  return errors;
}

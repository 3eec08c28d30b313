#!/usr/bin/env node
// improfiles command line: fetch profiles (or list a whole Easemob app) and print them as a
// table, JSON lines or CSV. Exit codes: 0 every id became a profile, 1 some did not, 2 usage
// or config error (nothing was sent).
import { readFileSync } from "node:fs";
import { once } from "node:events";

import { ProfileClient, ProfileError } from "./node.mjs";
import { CSV_COLUMNS, csvLine, tableWriter, terminalText } from "./output.mjs";

const USAGE = `usage:
  improfiles get  --vendor <key> --ids <file|-> [--format table|jsonl|csv] [--fields a,b,…] [options]
  improfiles list --vendor easemob [--max N] [--format table|jsonl|csv] [options]

vendors: rongcloud, tencent, tencent-attrs, easemob, kaixin
options:
  --config <file>       a JSON config (see the README); merged over the environment variables
  --base-url <url>      the vendor host (easemob: required, per cluster)
  --rate-limit <n>      requests per second (default: the vendor's documented rate)
  --emulator [url]      use the local vendor emulator (default http://127.0.0.1:8787) and,
                        when no credentials are given, its demo credentials
  --quiet               no progress on stderr
  --help
credentials from the environment:
  rongcloud      RONGCLOUD_APP_KEY, RONGCLOUD_APP_SECRET
  tencent(-attrs) TENCENT_SDK_APP_ID, TENCENT_IDENTIFIER, TENCENT_SECRET_KEY or TENCENT_USER_SIG, TENCENT_REGION
  easemob        EASEMOB_ORG_NAME, EASEMOB_APP_NAME, EASEMOB_BASE_URL, EASEMOB_CLIENT_ID + EASEMOB_CLIENT_SECRET or EASEMOB_TOKEN
  kaixin         KAIXIN_CONSUMER_KEY, KAIXIN_CONSUMER_SECRET, KAIXIN_TOKEN, KAIXIN_TOKEN_SECRET, or KAIXIN_ACCESS_TOKEN`;

const VENDORS = ["rongcloud", "tencent", "tencent-attrs", "easemob", "kaixin"];
const FORMATS = ["table", "jsonl", "csv"];
const TABLE_COLUMNS = ["id", "status", "name", "gender", "location", "code", "message"];
const DEFAULT_EMULATOR = "http://127.0.0.1:8787";

// The emulator's own demo accounts (emulator/vendors/*.mjs).
const EMULATOR_CREDENTIALS = {
  rongcloud: { appKey: "demo-app-key", appSecret: "demo-app-secret" },
  tencent: { sdkAppId: 1400000001, identifier: "administrator", secretKey: "demo-tencent-secret-key" },
  "tencent-attrs": { sdkAppId: 1400000001, identifier: "administrator", secretKey: "demo-tencent-secret-key" },
  easemob: { orgName: "demo-org", appName: "demo-app", clientId: "demo-client-id", clientSecret: "demo-client-secret" },
  kaixin: { oauth1: { consumerKey: "demo-consumer-key", consumerSecret: "demo-consumer-secret", token: "demo-access-token", tokenSecret: "demo-token-secret" } },
};

class UsageError extends Error {}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const flags = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const name = arg.slice(2);
    if (["help", "quiet"].includes(name)) flags[name] = true;
    else if (name === "emulator") flags.emulator = rest[i + 1] && !rest[i + 1].startsWith("--") ? rest[++i] : DEFAULT_EMULATOR;
    else if (["vendor", "ids", "format", "fields", "config", "base-url", "rate-limit", "max"].includes(name)) {
      if (rest[i + 1] === undefined) throw new UsageError(`--${name} needs a value`);
      flags[name] = rest[++i];
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { command, flags };
}

function fromEnvironment(vendor, env) {
  const pick = (entries) => Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== ""));
  switch (vendor) {
    case "rongcloud":
      return pick([["appKey", env.RONGCLOUD_APP_KEY], ["appSecret", env.RONGCLOUD_APP_SECRET]]);
    case "tencent":
    case "tencent-attrs":
      return pick([
        ["sdkAppId", env.TENCENT_SDK_APP_ID === undefined ? undefined : Number(env.TENCENT_SDK_APP_ID)],
        ["identifier", env.TENCENT_IDENTIFIER], ["secretKey", env.TENCENT_SECRET_KEY], ["userSig", env.TENCENT_USER_SIG], ["region", env.TENCENT_REGION],
      ]);
    case "easemob":
      return pick([
        ["orgName", env.EASEMOB_ORG_NAME], ["appName", env.EASEMOB_APP_NAME], ["baseUrl", env.EASEMOB_BASE_URL],
        ["clientId", env.EASEMOB_CLIENT_ID], ["clientSecret", env.EASEMOB_CLIENT_SECRET], ["token", env.EASEMOB_TOKEN],
      ]);
    default: {
      const oauth1 = pick([["consumerKey", env.KAIXIN_CONSUMER_KEY], ["consumerSecret", env.KAIXIN_CONSUMER_SECRET], ["token", env.KAIXIN_TOKEN], ["tokenSecret", env.KAIXIN_TOKEN_SECRET]]);
      return { ...(Object.keys(oauth1).length ? { oauth1 } : {}), ...pick([["accessToken", env.KAIXIN_ACCESS_TOKEN]]) };
    }
  }
}

function buildConfig(flags, env) {
  const vendor = flags.vendor;
  if (!VENDORS.includes(vendor)) throw new UsageError(vendor ? `unknown vendor ${JSON.stringify(vendor)}: one of ${VENDORS.join(", ")}` : "--vendor is required");
  let config = { vendor, ...fromEnvironment(vendor, env) };
  if (flags.config) {
    let file;
    try {
      file = JSON.parse(readFileSync(flags.config, "utf8"));
    } catch (error) {
      throw new UsageError(`--config ${flags.config}: ${error.code === "ENOENT" ? "no such file" : "not valid JSON"}`);
    }
    config = { ...config, ...file, vendor };
  }
  if (flags.emulator) {
    const credentialKeys = Object.keys(EMULATOR_CREDENTIALS[vendor]);
    const hasCredentials = Object.keys(config).some((k) => k !== "vendor" && k !== "baseUrl" && (credentialKeys.includes(k) || ["userSig", "token", "accessToken"].includes(k)));
    if (!hasCredentials) config = { ...config, ...EMULATOR_CREDENTIALS[vendor] };
    config.baseUrl = flags.emulator;
  }
  if (flags["base-url"]) config.baseUrl = flags["base-url"];
  if (flags["rate-limit"]) config.rateLimit = Number(flags["rate-limit"]);
  return config;
}

async function readIds(source) {
  if (!source) throw new UsageError("--ids is required: a file with one id per line, or - for stdin");
  let text;
  if (source === "-") {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    text = Buffer.concat(chunks).toString("utf8");
  } else {
    try {
      text = readFileSync(source, "utf8");
    } catch {
      throw new UsageError(`--ids ${source}: cannot read that file`);
    }
  }
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

/** Progress on stderr: a redrawn bar on a terminal, a line every few seconds otherwise. */
function progressReporter(quiet) {
  if (quiet) return undefined;
  const started = Date.now();
  let lastLine = 0;
  return (p) => {
    const seconds = (Date.now() - started) / 1000;
    const rate = p.done / Math.max(seconds, 0.001);
    const eta = p.total > p.done && rate > 0 ? `${Math.ceil((p.total - p.done) / rate)} s` : "-";
    const text = `${p.done}/${p.total} ids, ${rate.toFixed(0)}/s, ${p.failed} failed, ETA ${eta}`;
    if (process.stderr.isTTY) {
      const width = 24;
      const filled = p.total ? Math.round((p.done / p.total) * width) : width;
      process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}\x1b[K`);
      if (p.done === p.total) process.stderr.write("\n");
    } else if (Date.now() - lastLine >= 2000 || p.done === p.total) {
      lastLine = Date.now();
      process.stderr.write(`progress: ${text}\n`);
    }
  };
}

function rowOf(entry) {
  if ("code" in entry && !("vendor" in entry)) return { id: entry.id, status: "failed", code: entry.code, message: entry.message };
  return { ...entry, status: "ok" };
}

async function write(text) {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

async function main(argv, env) {
  const { command, flags } = parseArgs(argv);
  if (flags.help || command === "--help" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!["get", "list"].includes(command)) throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : "a command is required");
  const format = flags.format ?? "table";
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
  if (command === "list" && flags.vendor !== "easemob") throw new UsageError("list works with --vendor easemob (the one vendor with a user listing)");
  if (flags.max !== undefined && !(Number.isInteger(Number(flags.max)) && Number(flags.max) > 0)) throw new UsageError("--max must be a whole number above 0");

  const config = buildConfig(flags, env);
  const ids = command === "get" ? await readIds(flags.ids) : [];
  const client = new ProfileClient(config); // throws invalid_config before anything is sent
  if (format === "csv") await write(`${CSV_COLUMNS.join(",")}\n`);
  // The table streams too: widths from its first rows, every row after that as it comes.
  const table = format === "table" ? tableWriter(TABLE_COLUMNS, write) : undefined;
  const emit = async (entries) => {
    const lines = entries.map(rowOf);
    if (table) return table.add(lines);
    if (format === "jsonl") await write(lines.map((r) => JSON.stringify(r)).join("\n") + (lines.length ? "\n" : ""));
    else await write(lines.map((r) => csvLine(r)).join("\n") + (lines.length ? "\n" : ""));
  };
  const options = {
    collect: false,
    onBatch: ({ profiles, failures }) => emit([...profiles, ...failures]),
    onProgress: progressReporter(flags.quiet),
  };
  const fields = flags.fields?.split(",").map((f) => f.trim()).filter(Boolean);
  const result = command === "get"
    ? await client.getProfiles(ids, fields ? { ...options, fields } : options)
    : await client.listAllProfiles({ ...options, ...(flags.max ? { max: Number(flags.max) } : {}) });
  await table?.end();
  const { stats } = result;
  if (!flags.quiet) process.stderr.write(`${stats.profiles} profiles, ${stats.failures} failures, ${stats.requests} requests in ${(stats.elapsedMs / 1000).toFixed(1)} s\n`);
  return stats.failures > 0 ? 1 : 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => (process.exitCode = code),
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`improfiles: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (error instanceof ProfileError && ["invalid_config", "invalid_input"].includes(error.code)) {
      process.stderr.write(`improfiles: ${terminalText(error.message)}\n`);
      process.exitCode = 2;
    } else if (error instanceof ProfileError) {
      process.stderr.write(`improfiles: the call failed: ${error.code}: ${terminalText(error.message)}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`improfiles: ${error?.stack ?? error}\n`);
      process.exitCode = 1;
    }
  },
);

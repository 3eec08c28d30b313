#!/usr/bin/env node
// improfiles command line: fetch profiles (or list a whole Easemob app) and print them as a
// table, JSON lines or CSV. Exit codes: 0 every id became a profile, 1 some did not, 2 usage
// or config error (nothing was sent), 130 interrupted (Ctrl-C; what arrived is kept).
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from "node:fs";
import { once } from "node:events";
import { parseArgs as parseNodeArgs } from "node:util";

import { ProfileClient, ProfileError, vendors } from "./node.mjs";
import { setField } from "./fields.mjs";
import { CSV_COLUMNS, csvLine, tableWriter, terminalText } from "./output.mjs";

// Every vendor, as its core module describes itself: the vendor list, the usage text and the
// environment variables below are made from it.
const VENDORS = vendors();
const KEYS = VENDORS.map((v) => v.vendor);
const LISTING = VENDORS.filter((v) => v.listsUsers).map((v) => v.vendor);

/** Per vendor, the environment variables of its account, then of each credential mode (" or "). */
function environmentUsage() {
  const names = (fields) => fields.filter((f) => f.env).map((f) => f.env);
  const lines = VENDORS.map((v) => {
    const account = [...names(v.account), ...(v.baseUrlEnv ? [v.baseUrlEnv] : [])];
    const modes = v.modes.map((m) => names(m.fields).join(" + ")).filter(Boolean);
    return `  ${v.vendor.padEnd(15)}${[...account, modes.join(" or ")].filter(Boolean).join(", ")}`;
  });
  return lines.join("\n");
}

const USAGE = `usage:
  improfiles get  --vendor <key> --ids <file|-> [--format table|jsonl|csv] [--fields a,b,…] [options]
  improfiles list --vendor ${LISTING.join("|")} [--max N] [--format table|jsonl|csv] [options]
  improfiles --version

vendors: ${KEYS.join(", ")}
options:
  --config <file>       a JSON config (see the README); merged over the environment variables
  --base-url <url>      the vendor host (${VENDORS.filter((v) => v.defaultBaseUrl === null)
    .map((v) => v.vendor)
    .join(", ")}: required)
  --rate-limit <n>      requests per second (default: the vendor's documented rate)
  --output <file>       write there instead of stdout: to <file>.partial while running,
                        renamed to <file> when complete (jsonl or csv for --resume)
  --resume              go on with an interrupted --output: the ids already in <file>.partial
                        (or <file>) are kept and not fetched again
  --quiet               no progress on stderr
  -h, --help            this text; --version: the package's version
Ctrl-C stops sending, waits for the requests out, keeps what arrived (exit 130); a second
Ctrl-C stops at once.
credentials from the environment:
${environmentUsage()}`;

const FORMATS = ["table", "jsonl", "csv"];
const TABLE_COLUMNS = ["id", "status", "name", "gender", "location", "code", "message"];

class UsageError extends Error {}

const OPTIONS = {
  vendor: { type: "string" },
  ids: { type: "string" },
  format: { type: "string" },
  fields: { type: "string" },
  config: { type: "string" },
  "base-url": { type: "string" },
  "rate-limit": { type: "string" },
  max: { type: "string" },
  output: { type: "string", short: "o" },
  resume: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

/** node:util's parseArgs: `--flag value`, `--flag=value`, `-h`, `--` and errors for unknown flags. */
function parseArgs(args) {
  let parsed;
  try {
    parsed = parseNodeArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const [command, ...extra] = parsed.positionals;
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  return { command, flags: parsed.values };
}

/** The config keys of `vendor` its environment variables give (a nested key as `oauth1.token`). */
function fromEnvironment(vendor, env) {
  const config = {};
  const fields = [...vendor.account, ...vendor.modes.flatMap((m) => m.fields)];
  if (vendor.baseUrlEnv) fields.push({ key: "baseUrl", kind: "text", env: vendor.baseUrlEnv });
  for (const field of fields) {
    const value = field.env === undefined ? undefined : env[field.env];
    if (value === undefined || value === "") continue;
    setField(config, field.key, field.kind === "number" ? Number(value) : value);
  }
  return config;
}

function buildConfig(flags, env) {
  const vendor = flags.vendor;
  const described = VENDORS.find((v) => v.vendor === vendor);
  if (!described)
    throw new UsageError(vendor ? `unknown vendor ${JSON.stringify(vendor)}: one of ${KEYS.join(", ")}` : "--vendor is required");
  let config = { vendor, ...fromEnvironment(described, env) };
  if (flags.config) {
    let file;
    try {
      file = JSON.parse(readFileSync(flags.config, "utf8"));
    } catch (error) {
      throw new UsageError(`--config ${flags.config}: ${error.code === "ENOENT" ? "no such file" : "not valid JSON"}`);
    }
    config = { ...config, ...file, vendor };
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
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
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

/**
 * Where results go: stdout, or with `--output FILE` the file FILE.partial, renamed to FILE
 * once complete (so FILE is never a half-written export). With `--resume`, the ids already in
 * FILE.partial (or in FILE) are read first, a line cut off by a crash is dropped, and the new
 * results are appended.
 */
function openOutput(flags, format) {
  if (!flags.output) {
    // One wait for "drain" however many batches are waiting on it.
    let draining;
    const write = (text) => {
      if (process.stdout.write(text)) return undefined;
      draining ??= once(process.stdout, "drain").finally(() => {
        draining = undefined;
      });
      return draining;
    };
    return {
      done: new Set(),
      write,
      fresh: true,
      finish() {},
    };
  }
  if (flags.resume && format === "table") throw new UsageError("--resume needs --format jsonl or csv");
  const path = flags.output;
  const partial = `${path}.partial`;
  const done = new Set();
  if (flags.resume && !existsSync(partial) && existsSync(path)) renameSync(path, partial);
  const resuming = flags.resume && existsSync(partial);
  if (resuming) {
    const text = readFileSync(partial, "utf8");
    // A line a crash cut short is dropped from the file as well as from the ids.
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    if (complete.length < text.length) truncateSync(partial, Buffer.byteLength(complete));
    for (const id of idsInOutput(complete, format)) done.add(id);
  }
  const fd = openSync(partial, resuming ? "a" : "w");
  const fresh = !resuming || statSync(partial).size === 0;
  return {
    done,
    fresh,
    write: (text) => void writeSync(fd, text),
    finish(complete) {
      closeSync(fd);
      if (complete) renameSync(partial, path);
    },
    partial,
  };
}

/** The ids in an earlier export: each jsonl line's `id`, or each csv record's first cell. */
function idsInOutput(text, format) {
  if (format === "jsonl") {
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        try {
          return JSON.parse(line).id;
        } catch {
          throw new UsageError("--resume: the output file is not JSON lines");
        }
      });
  }
  return csvRecords(text)
    .slice(1)
    .map((cells) => cells[0]);
}

/** RFC 4180 records, undoing output.mjs's formula neutralization of each cell. */
function csvRecords(text) {
  const records = [];
  let cells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted || (c !== "," && c !== "\n")) {
      cell += c;
    } else {
      cells.push(cell);
      cell = "";
      if (c === "\n") {
        records.push(cells);
        cells = [];
      }
    }
  }
  return records.map((record) => record.map((value) => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value)));
}

const fieldsOption = (flags) => {
  const fields = flags.fields
    ?.split(",")
    .map((f) => f.trim())
    .filter(Boolean);
  return fields ? { fields } : {};
};

/**
 * Fetches `ids` as calls of about a second's worth of requests each, two at a time (one sends
 * while the other's last answers come back, so the pacing never drains), so that a stop
 * between chunks leaves nothing in flight. Resolves when every chunk started has ended.
 */
async function inChunks(client, ids, options, progress, add, stopping) {
  const { batchSize, rateLimit } = client.toJSON();
  const size = batchSize * Math.max(1, Math.floor(rateLimit));
  const seen = new Map(); // chunk -> its progress
  const report = () => {
    let done = 0;
    let failed = 0;
    let requests = 0;
    for (const p of seen.values()) {
      done += p.done;
      failed += p.failed;
      requests += p.requests;
    }
    progress?.({ done, total: ids.length, failed, requests, retries: 0 });
  };
  const running = new Set();
  let failure;
  for (let from = 0, chunk = 0; from < ids.length && !stopping(); from += size, chunk++) {
    const onProgress = (p) => {
      seen.set(chunk, p);
      report();
    };
    const call = client.getProfiles(ids.slice(from, from + size), { ...options, onProgress }).then(add, (error) => {
      failure ??= error;
    });
    running.add(call);
    call.finally(() => running.delete(call));
    if (running.size >= 2) await Promise.race(running);
    if (failure) break;
  }
  await Promise.all(running);
  if (failure) throw failure;
}

async function main(argv, env) {
  const { command, flags } = parseArgs(argv);
  if (flags.help || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (flags.version) {
    const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
    process.stdout.write(`improfiles ${version}\n`);
    return 0;
  }
  if (!["get", "list"].includes(command))
    throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : "a command is required");
  const format = flags.format ?? "table";
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
  if (command === "list" && !LISTING.includes(flags.vendor))
    throw new UsageError(`list works with --vendor ${LISTING.join(" or ")} (the vendors with a user listing)`);
  if (command === "list" && flags.resume) throw new UsageError("--resume works with get (a listing has no ids to skip)");
  if (flags.resume && !flags.output) throw new UsageError("--resume goes with --output");
  if (flags.max !== undefined && !(Number.isInteger(Number(flags.max)) && Number(flags.max) > 0))
    throw new UsageError("--max must be a whole number above 0");

  const config = buildConfig(flags, env);
  const asked = command === "get" ? await readIds(flags.ids) : [];
  const client = new ProfileClient(config); // throws invalid_config before anything is sent
  const output = openOutput(flags, format);
  const ids = [...new Set(asked)].filter((id) => !output.done.has(id));
  if (output.done.size && !flags.quiet)
    process.stderr.write(`resuming: ${output.done.size} ids already in ${output.partial}, ${ids.length} to fetch\n`);
  if (format === "csv" && output.fresh) await output.write(`${CSV_COLUMNS.join(",")}\n`);
  // The table streams too: widths from its first rows, every row after that as it comes.
  const table = format === "table" ? tableWriter(TABLE_COLUMNS, output.write) : undefined;
  const emit = async (entries) => {
    const lines = entries.map(rowOf);
    if (table) return table.add(lines);
    if (format === "jsonl") await output.write(lines.map((r) => JSON.stringify(r)).join("\n") + (lines.length ? "\n" : ""));
    else await output.write(lines.map((r) => csvLine(r)).join("\n") + (lines.length ? "\n" : ""));
  };

  // Ctrl-C: no new chunk starts; those running finish (their requests were sent and the vendor
  // counted them, so their results are worth keeping); a second Ctrl-C aborts them.
  const abort = new AbortController();
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) abort.abort();
    interrupted = true;
    if (!flags.quiet) process.stderr.write("\nimprofiles: stopping after the requests out (Ctrl-C again to stop now)…\n");
  });
  const progress = progressReporter(flags.quiet);
  const totals = { profiles: 0, failures: 0, requests: 0, elapsedMs: 0 };
  const add = ({ stats }) => {
    for (const key of Object.keys(totals)) totals[key] += stats[key];
  };
  const options = { collect: false, signal: abort.signal, onBatch: ({ profiles, failures }) => emit([...profiles, ...failures]) };
  let complete = true;
  try {
    if (command === "get") {
      await inChunks(client, ids, { ...options, ...fieldsOption(flags) }, progress, add, () => interrupted);
      complete = !interrupted;
    } else {
      add(await client.listAllProfiles({ ...options, onProgress: progress, ...(flags.max ? { max: Number(flags.max) } : {}) }));
    }
  } catch (error) {
    if (!(error instanceof ProfileError && error.code === "aborted")) throw error;
    complete = false;
  } finally {
    await table?.end();
    output.finish(complete);
  }
  if (!complete) {
    const where = output.partial ? ` in ${output.partial}; run again with --resume to fetch the rest` : "";
    process.stderr.write(`improfiles: interrupted: ${totals.profiles + totals.failures} results kept${where}\n`);
    return 130;
  }
  if (!flags.quiet)
    process.stderr.write(
      `${totals.profiles} profiles, ${totals.failures} failures, ${totals.requests} requests in ${(totals.elapsedMs / 1000).toFixed(1)} s\n`,
    );
  return totals.failures > 0 ? 1 : 0;
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

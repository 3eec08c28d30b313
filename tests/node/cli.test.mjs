// The improfiles command line, against the emulator: output formats, exit codes 0/1/2, and
// usage or config errors that send nothing.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { RONGCLOUD, TENCENT, demoConfig, startEmulator } from "improfiles-emulator";

const CLI = fileURLToPath(new URL("../../pkg/cli.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "improfiles-cli-"));
const file = (name, lines) => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};
const FOUND = file("found.txt", ["u1", "u2", "", "u3", "u2"]);
const MIXED = file("mixed.txt", ["u1", "ghost-1", "u2"]);

let emulator;
before(async () => (emulator = await startEmulator()));
/** `--config` with the emulator's demo account for `vendor` (the CLI itself knows none). */
const demo = (vendor) => ["--config", file(`${vendor}.json`, [JSON.stringify(demoConfig(vendor, emulator.url))])];
after(() => emulator.stop());

/** Runs the CLI; resolves { code, stdout, stderr } whatever the exit code. */
function cli(args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

test("get --format jsonl: one line per distinct id, exit 0 when all are found", async () => {
  const { code, stdout, stderr } = await cli(["get", "--vendor", "rongcloud", "--ids", FOUND, "--format", "jsonl", ...demo("rongcloud")]);
  assert.equal(code, 0, stderr);
  const rows = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(rows.map((r) => r.id).sort(), ["u1", "u2", "u3"]);
  assert.ok(rows.every((r) => r.status === "ok" && r.vendor === "rongcloud" && typeof r.name === "string"));
  assert.match(stderr, /3 profiles, 0 failures/);
  assert.match(stderr, /^progress: 3\/3 ids, \d+\/s, 0 failed/m, "quiet progress lines when stderr is not a terminal");
});

test("get --format csv from stdin: a header, quoted cells, failures with their code; exit 1", async () => {
  const { code, stdout } = await cli(["get", "--vendor", "rongcloud", "--ids", "-", "--format", "csv", ...demo("rongcloud"), "--quiet"], {
    input: "u1\nghost-1\n",
  });
  assert.equal(code, 1);
  const [header, ...lines] = stdout.trim().split("\n");
  assert.equal(
    header,
    "id,status,name,gender,avatarUrl,birthday,location,email,level,role,signature,createdAt,updatedAt,active,code,message",
  );
  assert.equal(lines.length, 2);
  const failure = lines.find((l) => l.startsWith("ghost-1,"));
  assert.match(failure, /^ghost-1,failed,(,){12}not_found,/);
  assert.ok(lines.some((l) => l.startsWith("u1,ok,")));
});

test("get --format table (the default), other vendors and credentials from the environment", async () => {
  const { code, stdout } = await cli(
    ["get", "--vendor", "tencent", "--ids", file("accounts.txt", ["t1", "t2", "nobody-1"]), "--base-url", emulator.url, "--quiet"],
    {
      env: { TENCENT_SDK_APP_ID: String(TENCENT.sdkAppId), TENCENT_IDENTIFIER: TENCENT.identifier, TENCENT_SECRET_KEY: TENCENT.secretKey },
    },
  );
  assert.equal(code, 1);
  const [header, rule, ...rows] = stdout.trimEnd().split("\n");
  assert.match(header, /^id\s+status\s+name\s+gender\s+location\s+code\s+message$/);
  assert.match(rule, /^-+\s+-+/);
  assert.equal(rows.length, 3);
  assert.match(
    rows.find((r) => r.startsWith("nobody-1")),
    /failed\s+.*not_found/,
  );
});

test("on a terminal, progress is a redrawn bar with done/total, rate, failures and ETA", async () => {
  // util-linux `script` gives the CLI a pseudo-terminal; stdout and stderr both land in it.
  const command = [process.execPath, CLI, "get", "--vendor", "rongcloud", "--ids", MIXED, "--format", "jsonl", ...demo("rongcloud")].join(
    " ",
  );
  const { stdout } = await new Promise((resolve) =>
    execFile("script", ["-qec", command, "/dev/null"], (_error, out) => resolve({ stdout: out })),
  );
  assert.match(stdout, /\r\[#{24}\] 3\/3 ids, \d+\/s, 1 failed, ETA -/);
});

test("list --vendor easemob --max: a page's worth through the CLI", async () => {
  const { code, stdout } = await cli(["list", "--vendor", "easemob", "--max", "30", "--format", "jsonl", ...demo("easemob"), "--quiet"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim().split("\n").length, 30);
});

test("usage and config errors: exit 2, a clear message, nothing sent", async () => {
  await emulator.reset();
  const cases = [
    [["get", "--vendor", "rongcloud", "--ids", FOUND, "--colour"], /Unknown option '--colour'/],
    [["get", "--vendor", "rongcloud", "--ids", FOUND, "extra"], /unexpected argument "extra"/],
    [["get", "--vendor", "rongcloud", "--ids", FOUND, "--resume"], /--resume goes with --output/],
    [["get", "--vendor", "icq", "--ids", FOUND], /unknown vendor "icq"/],
    [["get", "--ids", FOUND], /--vendor is required/],
    [["get", "--vendor", "rongcloud"], /--ids is required/],
    [["get", "--vendor", "rongcloud", "--ids", join(dir, "missing.txt")], /cannot read that file/],
    [["get", "--vendor", "rongcloud", "--ids", FOUND, "--format", "xml"], /--format must be one of/],
    [["list", "--vendor", "rongcloud"], /list works with --vendor easemob/],
    [["fetch"], /unknown command "fetch"/],
    [["get", "--vendor", "rongcloud", "--ids", FOUND, "--base-url", emulator.url], /appKey/],
    [["get", "--vendor", "rongcloud", "--ids", FOUND, "--base-url", "http://example.com"], /appKey|https/],
    [["get", "--vendor", "kaixin", "--ids", file("bad.txt", ["1", "2,3"]), ...demo("kaixin")], /ids\[1\]/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await cli(args);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
  }
  assert.deepEqual(await emulator.log(), [], "nothing reached the emulator");
  const { code, stdout } = await cli(["--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /usage:/);
});

test("a config file, and a refused credential exits 1 with its code", async () => {
  const config = file("config.json", [JSON.stringify({ appKey: RONGCLOUD.appKey, appSecret: "not-the-secret" })]);
  const { code, stderr } = await cli([
    "get",
    "--vendor",
    "rongcloud",
    "--ids",
    FOUND,
    "--config",
    config,
    "--base-url",
    emulator.url,
    "--quiet",
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /auth_failed/);
  assert.ok(!stderr.includes("not-the-secret"));
});

// Names are end-user data: formulas, terminal escapes, newlines, CJK and emoji.
const HOSTILE = {
  1: '=HYPERLINK("http://evil.example","click")',
  2: "+cmd|' /C calc'!A0",
  3: "-2+3",
  4: "@SUM(A1:A2)",
  5: "\tTabbed",
  6: "\x1b]0;pwned\x07\x1b[2Jclear",
  7: "line one\nline two",
  8: "张伟明",
  9: "😀 emoji",
  10: "bell\x07back\x08c1\u009bx",
};
const HOSTILE_IDS = file(
  "hostile.txt",
  Object.keys(HOSTILE).map((n) => `u${n}`),
);

test("hostile names: CSV cells neutralized, the table escapes controls and counts CJK and emoji as two cells, jsonl as is", async () => {
  await emulator.names(HOSTILE);
  const run = (format) => cli(["get", "--vendor", "rongcloud", "--ids", HOSTILE_IDS, "--format", format, ...demo("rongcloud"), "--quiet"]);

  const csv = await run("csv");
  assert.equal(csv.code, 0, csv.stderr);
  for (const line of csv.stdout.split("\n").slice(1).filter(Boolean)) {
    const name = line.split(",")[2];
    assert.doesNotMatch(name, /^"?[=+\-@\t\r]/, `a cell a spreadsheet would run: ${line}`);
  }
  assert.match(csv.stdout, /,"'=HYPERLINK\(""http:\/\/evil\.example"",""click""\)",/);
  assert.match(csv.stdout, /,"'\+cmd\|' \/C calc'!A0",/);
  assert.match(csv.stdout, /,"line one\nline two",/, "a newline stays inside its quoted cell");

  const table = await run("table");
  assert.equal(table.code, 0, table.stderr);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the test
  assert.doesNotMatch(table.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, "no control character reaches the terminal");
  assert.match(table.stdout, /\\x1b\]0;pwned\\x07\\x1b\[2Jclear/);
  assert.match(table.stdout, /line one\\nline two/);
  const lines = table.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 2 + 10, "one line per row: the newline did not break the table");
  const statusColumn = (line) => {
    // Terminal cells before "ok": CJK and emoji count two.
    const before = line.slice(0, line.indexOf("  ok") + 2);
    let cells = 0;
    for (const c of before) cells += /[\u4e00-\u9fff\u{1f300}-\u{1faff}]/u.test(c) ? 2 : 1;
    return cells;
  };
  const rows = lines.slice(2);
  assert.equal(new Set(rows.map(statusColumn)).size, 1, `the columns line up:\n${table.stdout}`);

  const jsonl = await run("jsonl");
  const names = jsonl.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).name);
  assert.deepEqual(names.sort(), Object.values(HOSTILE).sort(), "jsonl carries the names exactly");
  await emulator.reset();
});

test("the table streams: 150,000 rows print, columns fixed by the first 1,000", async () => {
  // Past the directory's 50,000 users the ids are not found: failure rows, exit 1.
  const many = file(
    "many.txt",
    Array.from({ length: 150_000 }, (_, i) => `u${i + 1}`),
  );
  await emulator.limits({ enforce: false });
  const child = spawn(
    process.execPath,
    [CLI, "get", "--vendor", "rongcloud", "--ids", many, ...demo("rongcloud"), "--quiet", "--rate-limit", "2000"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let lines = 0;
  child.stdout.on("data", (chunk) => {
    for (const byte of chunk) if (byte === 10) lines++;
  });
  const [code] = await once(child, "close");
  await emulator.reset();
  assert.equal(code, 1);
  assert.equal(lines, 2 + 150_000);
});

test("the conventions people type: --flag=value, -h, --version, --", async () => {
  const { code, stdout, stderr } = await cli([
    "get",
    "--vendor=rongcloud",
    `--ids=${FOUND}`,
    "--format=jsonl",
    `--base-url=${emulator.url}`,
    ...demo("rongcloud"),
    "-q",
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim().split("\n").length, 3);
  assert.equal(stderr, "", "-q is --quiet");
  assert.match((await cli(["-h"])).stdout, /^usage:/);
  const version = await cli(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^improfiles \d+\.\d+\.\d+/);
  const dashed = await cli(["get", "--vendor", "rongcloud", "--ids", FOUND, ...demo("rongcloud"), "-q", "--", "--format"]);
  assert.equal(dashed.code, 2, "after --, a flag is an argument");
  assert.match(dashed.stderr, /unexpected argument "--format"/);
});

/** Starts the CLI, and kills it with `signal` once `lines` lines are in `path` (or 5 s have passed). */
async function interrupted(args, path, signal) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const started = Date.now();
  while (Date.now() - started < 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch {}
    if (text.split("\n").length > 300) break;
  }
  child.kill(signal);
  const [code] = await once(child, "close");
  return { code, stderr };
}

for (const [format, signal] of [
  ["jsonl", "SIGINT"],
  ["csv", "SIGINT"],
  ["jsonl", "SIGKILL"],
]) {
  test(`--output and --resume after ${signal} mid-run (${format}): every id once in the file, ${signal === "SIGINT" ? "none fetched twice" : "the cut line dropped"}`, async () => {
    await emulator.reset();
    const count = 2_000;
    const ids = file(
      `resume-${format}-${signal}.txt`,
      Array.from({ length: count }, (_, i) => `u${i + 1}`),
    );
    const out = join(dir, `out-${format}-${signal}.${format}`);
    const args = [
      "get",
      "--vendor",
      "rongcloud",
      "--ids",
      ids,
      "--format",
      format,
      ...demo("rongcloud"),
      "--rate-limit",
      "5",
      "--output",
      out,
      "--quiet",
    ];
    const first = await interrupted(args, `${out}.partial`, signal);
    if (signal === "SIGINT") {
      assert.equal(first.code, 130, first.stderr);
      assert.match(first.stderr, /interrupted: \d+ results kept in .*\.partial; run again with --resume/);
    }
    assert.ok(!existsSync(out), "the output file appears only when complete");
    if (signal === "SIGKILL") appendFileSync(`${out}.partial`, format === "jsonl" ? '{"id":"u999' : "u999,ok"); // a crash mid-line
    const second = await cli([...args, "--resume"]);
    assert.equal(second.code, 0, second.stderr);
    const text = readFileSync(out, "utf8");
    const written =
      format === "jsonl"
        ? text
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l).id)
        : text
            .trim()
            .split("\n")
            .slice(1)
            .map((l) => l.split(",")[0]);
    assert.equal(written.length, count, "every id once");
    assert.equal(new Set(written).size, count);
    if (signal === "SIGINT") {
      const fetched = (await emulator.log()).reduce((sum, e) => sum + e.ids, 0);
      assert.equal(fetched, count, "no id was fetched twice");
    }
  });
}

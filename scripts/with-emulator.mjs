#!/usr/bin/env node
// Runs a command with the vendor emulator up:
// `node scripts/with-emulator.mjs [--browser-proxy] <cmd> [args…]`.
// The command finds the emulator in IMPROFILES_EMULATOR_URL and its demo accounts (JSON) in
// IMPROFILES_DEMO_ACCOUNTS; the emulator stops when the command ends.
//
// `--browser-proxy` is for `wasm-pack test --headless --chrome`: Chromium then sends every
// request, the test page's included, through a proxy here that opens a connection per request
// and closes it after the answer. Why: wasm-bindgen-test-runner serves the test page with
// tiny_http 0.12, which gives each connection a thread of a pool until the connection closes,
// and adds a thread only when it counts none idle. When two connections come at once, both
// can count the same idle thread: one of them then waits for a thread that never frees,
// since Chromium keeps its connections open. The page loads its five JS snippets at once, and
// on 2026-12-03 one try in two (6 of 13 tries by hand) hung on "Loading scripts..." until
// chromedriver's 300 s page-load timeout, with the last request unread in the server's socket
// (wasm-pack issue #783 is this symptom). A connection that closes frees its thread.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { ACCOUNTS, startEmulator } from "improfiles-emulator";

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "upgrade"];

function withoutHopByHop(headers) {
  const kept = { ...headers };
  for (const name of HOP_BY_HOP) delete kept[name];
  return kept;
}

/** The proxy (see above); resolves to the copy of webdriver.json that sends Chromium through it. */
async function startBrowserProxy() {
  const proxy = createServer((request, response) => {
    // Only the test page and the emulator: what Chromium asks of the internet goes nowhere.
    if (!["127.0.0.1", "localhost", "[::1]"].includes(URL.parse(request.url)?.hostname)) {
      response.writeHead(502).end();
      return;
    }
    const headers = { ...withoutHopByHop(request.headers), connection: "close" };
    const upstream = httpRequest(request.url, { method: request.method, headers, agent: false }, (answer) => {
      response.writeHead(answer.statusCode, withoutHopByHop(answer.headers));
      answer.pipe(response);
    });
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxy.unref();
  const capabilities = JSON.parse(readFileSync("webdriver.json", "utf8"));
  // Chromium goes direct to loopback addresses unless `<-loopback>` takes them off its list.
  capabilities["goog:chromeOptions"].args.push(
    `--proxy-server=http://127.0.0.1:${proxy.address().port}`,
    "--proxy-bypass-list=<-loopback>",
  );
  const path = join(mkdtempSync(join(tmpdir(), "improfiles-webdriver-")), "webdriver.json");
  writeFileSync(path, JSON.stringify(capabilities));
  return path;
}

const proxied = process.argv[2] === "--browser-proxy";
const [command, ...args] = process.argv.slice(proxied ? 3 : 2);
const emulator = await startEmulator();
const env = { ...process.env, IMPROFILES_EMULATOR_URL: emulator.url, IMPROFILES_DEMO_ACCOUNTS: JSON.stringify(ACCOUNTS) };
if (proxied) env.WASM_BINDGEN_TEST_WEBDRIVER_JSON = await startBrowserProxy();
const child = spawn(command, args, { stdio: "inherit", env });
const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await emulator.stop();
if (proxied) rmSync(dirname(env.WASM_BINDGEN_TEST_WEBDRIVER_JSON), { recursive: true });
process.exit(code);

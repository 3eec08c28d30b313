// The Node transport (js/package/node-fetch.cjs): what clients without config.fetch send
// through in Node. It must answer as fetch would for what improfiles asks of it — decoded
// bodies, redirects, aborts, failures, TLS checks — and step aside when globalThis.fetch is
// replaced.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";

import { startEmulator } from "improfiles-emulator";
import { demoClient } from "improfiles-emulator/clients.mjs";
import { localhostCertificate } from "./helpers/certificate.mjs";
import { rongcloud } from "./helpers/rongcloud.mjs";

const require = createRequire(import.meta.url);
const { nodeFetch } = require("../../pkg/node-fetch.cjs");
const run = promisify(execFile);

const PROFILES = JSON.stringify({ code: 200, userList: [{ userId: "u1", userProfile: { name: "名字 🙂" } }] });
const ENCODERS = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
let server;
let base;
/** What the server saw of each request: method, path, headers, body. */
const seen = [];

before(async () => {
  server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const url = new URL(request.url, "http://x");
    seen.push({ method: request.method, path: url.pathname, headers: request.headers, body: Buffer.concat(chunks).toString() });
    const [, route, arg] = url.pathname.split("/");
    if (route === "encoded") {
      response.writeHead(200, { "content-encoding": arg, "content-type": "application/json" });
      response.end(ENCODERS[arg](PROFILES));
    } else if (route === "redirect") {
      const to = url.searchParams.get("to") ?? "/plain";
      response.writeHead(Number(arg), { location: to.startsWith("/") ? to : `${to}/plain` });
      response.end();
    } else if (route === "loop") {
      response.writeHead(302, { location: "/loop" });
      response.end();
    } else if (route === "slow-body") {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"code":200,');
    } else if (route === "hang") {
      // No answer at all.
    } else if (route === "cut") {
      response.writeHead(200, { "content-length": "1000" });
      response.write("{");
      setTimeout(() => response.socket.destroy(), 20);
    } else {
      response.writeHead(200, { "content-type": "application/json", "x-twice": ["a", "b"] });
      response.end(PROFILES);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

test("a body is decoded as fetch decodes it, gzip, deflate and br alike", async () => {
  for (const encoding of Object.keys(ENCODERS)) {
    const response = await nodeFetch(`${base}/encoded/${encoding}`);
    assert.equal(response.status, 200);
    assert.equal(new TextDecoder().decode(await response.arrayBuffer()), PROFILES, encoding);
    const bytes = await (await nodeFetch(`${base}/encoded/${encoding}`)).bytes();
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(bytes), PROFILES, encoding);
  }
  assert.match(seen.at(-1).headers["accept-encoding"], /gzip.*deflate.*br/);
});

test("the request goes as given: method, headers (any case), body with its length", async () => {
  const response = await nodeFetch(`${base}/plain`, {
    method: "post",
    headers: { "X-Key": "k", "Content-Type": "text/plain" },
    body: "userId=名",
  });
  assert.equal(response.ok, true);
  assert.equal(response.headers.get("Content-Type"), "application/json");
  assert.equal(response.headers.get("x-twice"), "a, b");
  assert.equal(response.headers.get("retry-after"), null);
  assert.equal(await response.text(), PROFILES);
  const { method, headers, body } = seen.at(-1);
  assert.deepEqual(
    [method, headers["x-key"], headers["content-type"], headers["content-length"], body],
    ["POST", "k", "text/plain", "10", "userId=名"],
  );
});

test("redirects are followed as fetch follows them", async () => {
  seen.length = 0;
  await nodeFetch(`${base}/redirect/307`, { method: "POST", headers: { "content-type": "text/plain" }, body: "kept" });
  assert.deepEqual(
    seen.map(({ method, path, body }) => [method, path, body]),
    [
      ["POST", "/redirect/307", "kept"],
      ["POST", "/plain", "kept"],
    ],
  );
  seen.length = 0;
  const response = await nodeFetch(`${base}/redirect/303`, { method: "POST", headers: { "content-type": "text/plain" }, body: "dropped" });
  assert.equal(await response.text(), PROFILES);
  assert.deepEqual([seen[1].method, seen[1].body, seen[1].headers["content-type"]], ["GET", "", undefined]);
  // Another origin (the same server by another name) gets no credentials.
  seen.length = 0;
  await nodeFetch(`${base}/redirect/308?to=${base.replace("127.0.0.1", "localhost")}`, { headers: { authorization: "Bearer secret" } });
  assert.deepEqual([seen[0].headers.authorization, seen[1].headers.authorization], ["Bearer secret", undefined]);
  await assert.rejects(nodeFetch(`${base}/loop`), (error) => error instanceof TypeError && /redirect count/.test(error.cause.message));
});

test("an abort ends the request, before it goes, while it waits, and while its body comes", async () => {
  const early = AbortSignal.abort();
  await assert.rejects(nodeFetch(`${base}/plain`, { signal: early }), { name: "AbortError" });
  const waiting = new AbortController();
  setTimeout(() => waiting.abort(), 20);
  await assert.rejects(nodeFetch(`${base}/hang`, { signal: waiting.signal }), { name: "AbortError" });
  const controller = new AbortController();
  const response = await nodeFetch(`${base}/slow-body`, { signal: controller.signal });
  const body = response.arrayBuffer();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(body, { name: "AbortError" });
});

test("a client's deadline and its caller's abort end the transport's request; an answered one keeps its connection", {
  timeout: 10_000,
}, async () => {
  // run.js hands the transport its own `Cancel` for a signal, not an AbortSignal: what it
  // aborts must still close the connection, and only that one.
  let stall = true;
  const connections = [];
  const vendor = createServer((request, response) => {
    if (!connections.some((c) => c.socket === request.socket)) {
      // Resolves on close, reset or not (events.once would reject on the reset's error).
      const closed = new Promise((resolve) => request.socket.on("close", resolve));
      connections.push({ socket: request.socket, closed });
    }
    response.writeHead(200, { "content-type": "application/json" });
    if (stall) response.write('{"code":200,');
    else response.end(PROFILES);
  });
  vendor.listen(0, "127.0.0.1");
  await once(vendor, "listening");
  try {
    const client = demoClient("rongcloud", `http://127.0.0.1:${vendor.address().port}`, { timeoutMs: 200, retries: 0 });
    const timedOut = await client.getProfiles(["u1"]);
    assert.equal(timedOut.failures[0]?.code, "timeout");
    await connections[0].closed;
    const caller = new AbortController();
    const call = client.getProfiles(["u1"], { signal: caller.signal });
    while (connections.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    caller.abort();
    await assert.rejects(call, { code: "aborted" });
    await connections[1].closed;
    stall = false;
    for (let round = 0; round < 3; round++) assert.equal((await client.getProfiles(["u1"])).profiles.length, 1);
    assert.equal(connections.length, 3, "the answered requests went over one kept-alive connection");
    assert.equal(connections[2].socket.destroyed, false);
  } finally {
    vendor.closeAllConnections();
    vendor.close();
  }
});

test("a network failure is TypeError('fetch failed') with its cause; a cut body rejects", async () => {
  const closed = createServer();
  closed.listen(0, "127.0.0.1");
  await once(closed, "listening");
  const { port } = closed.address();
  closed.close();
  await once(closed, "close");
  await assert.rejects(
    nodeFetch(`http://127.0.0.1:${port}/`),
    (error) => error instanceof TypeError && error.message === "fetch failed" && /ECONNREFUSED/.test(error.cause.code),
  );
  const response = await nodeFetch(`${base}/cut`);
  await assert.rejects(response.arrayBuffer(), TypeError);
});

test("clients without config.fetch use it; a replaced globalThis.fetch gets the requests instead", async () => {
  const installed = globalThis[Symbol.for("improfiles.nodeFetch")];
  assert.equal(installed?.fetch, nodeFetch, "the Node entry installs it");
  const emulator = await startEmulator();
  try {
    const original = globalThis.fetch;
    let stubbed = 0;
    globalThis.fetch = (url, init) => {
      stubbed++;
      return original(url, init);
    };
    try {
      const { profiles } = await rongcloud(emulator).getProfiles(["u1", "u2"]);
      assert.equal(profiles.length, 2);
      assert.equal(stubbed, 1);
    } finally {
      globalThis.fetch = original;
    }
    const { profiles } = await rongcloud(emulator).getProfiles(["u3"]);
    assert.deepEqual([profiles.length, stubbed], [1, 1], "back to the Node transport once the global is restored");
  } finally {
    await emulator.stop();
  }
});

test("https goes through TLS with the platform's certificate checks", async () => {
  // A certificate of our own for 127.0.0.1: refused as any fetch refuses it, and accepted by a
  // process told to trust it (NODE_EXTRA_CA_CERTS, read at start).
  const { key, cert } = await localhostCertificate();
  const tls = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_, response) => {
    response.writeHead(200, { "content-encoding": "gzip" });
    response.end(gzipSync(PROFILES));
  });
  tls.listen(0, "127.0.0.1");
  await once(tls, "listening");
  const url = `https://127.0.0.1:${tls.address().port}/`;
  try {
    await assert.rejects(nodeFetch(url), (error) => error instanceof TypeError && /SELF_SIGNED/.test(error.cause.code));
    const script = `require(${JSON.stringify(require.resolve("../../pkg/node-fetch.cjs"))}).nodeFetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const { stdout } = await run(process.execPath, ["-e", script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert } });
    assert.equal(stdout, PROFILES);
  } finally {
    tls.closeAllConnections();
    tls.close();
  }
});

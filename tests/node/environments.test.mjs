// One package, every JS environment: Node ESM and CommonJS, a Vite production build, a plain
// <script type="module"> page and a module Web Worker, each importing the built package and
// fetching from the emulator (the browser cases in headless Chromium); and the per-vendor
// entry points improfiles/<vendor> in each.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";

import { build } from "vite";

import { ProfileClient } from "improfiles";
import { launchChromium, outcomeOf } from "./helpers/chromium.mjs";
import { demoConfig, startEmulator } from "improfiles-emulator";
import { serveStatic } from "./helpers/static-server.mjs";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXPECTED = {
  profiles: [
    ["u1", "rongcloud", "string"],
    ["u2", "rongcloud", "string"],
  ],
  failures: [["ghost-1", "not_found"]],
};

let emulator;
let repo;
let browser;
before(async () => {
  [emulator, repo, browser] = await Promise.all([startEmulator(), serveStatic(ROOT), launchChromium()]);
});
after(() => Promise.all([emulator.stop(), repo.close(), browser.close()]));

const page = (path) => `${repo.url}/${path}?emulator=${encodeURIComponent(emulator.url)}`;

// The same three ids, fetched by a script that loads the package the given way.
const nodeScript = (load) => `
${load}
const client = new ProfileClient({ ...${JSON.stringify(demoConfig("rongcloud", ""))}, baseUrl: process.argv[1] });
client.getProfiles(["u1", "u2", "ghost-1"]).then((r) => console.log(JSON.stringify({
  profiles: r.profiles.map((p) => [p.id, p.vendor, typeof p.name]),
  failures: r.failures.map((f) => [f.id, f.code]),
  errorClass: typeof ProfileError === "function",
})));`;

test("Node, CommonJS: require('improfiles')", async () => {
  const { stdout } = await run(
    process.execPath,
    ["-e", nodeScript(`const { ProfileClient, ProfileError } = require("improfiles");`), emulator.url],
    { cwd: ROOT },
  );
  assert.deepEqual(JSON.parse(stdout), { ...EXPECTED, errorClass: true });
});

test("Node, ESM: import from 'improfiles', the same ProfileError as require", async () => {
  const load = `import { ProfileClient, ProfileError } from "improfiles";
import { createRequire } from "node:module";
if (createRequire(import.meta.url)("improfiles").ProfileError !== ProfileError) throw new Error("two ProfileError classes");`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", nodeScript(load), emulator.url], { cwd: ROOT });
  assert.deepEqual(JSON.parse(stdout), { ...EXPECTED, errorClass: true });
});

test("a plain <script type=module> page from a static server", async () => {
  const outcome = await outcomeOf(browser, page("tests/env/pages/script-module.html"));
  assert.deepEqual(outcome, { result: EXPECTED, pageErrors: [] });
});

test("a module Web Worker (no window, no DOM)", async () => {
  const outcome = await outcomeOf(browser, page("tests/env/pages/worker.html"));
  assert.deepEqual(outcome, { result: EXPECTED, hasWindow: false, pageErrors: [] });
});

test("a Vite production build that imports 'improfiles' by name", async () => {
  await build({ configFile: fileURLToPath(new URL("../env/vite-app/vite.config.mjs", import.meta.url)), logLevel: "warn" });
  const dist = await serveStatic(fileURLToPath(new URL("../output/vite-dist/", import.meta.url)));
  try {
    const outcome = await outcomeOf(browser, `${dist.url}/?emulator=${encodeURIComponent(emulator.url)}`);
    assert.deepEqual(outcome, { result: EXPECTED, pageErrors: [] });
    const entry = await outcomeOf(browser, `${dist.url}/rongcloud.html?emulator=${encodeURIComponent(emulator.url)}`);
    assert.deepEqual(entry, { result: EXPECTED, vendors: ["rongcloud"], pageErrors: [] });
  } finally {
    await dist.close();
  }
});

test("improfiles/rongcloud in a plain page: only its vendor", async () => {
  const outcome = await outcomeOf(browser, page("tests/env/pages/vendor-entry.html"));
  assert.deepEqual(outcome, { result: EXPECTED, vendors: ["rongcloud"], pageErrors: [] });
});

const ENTRIES = {
  rongcloud: { vendors: ["rongcloud"], signing: ["rongcloudSignature"], id: "u1" },
  tencent: { vendors: ["tencent", "tencent-attrs"], signing: ["tencentUserSig"], id: "t1" },
  easemob: { vendors: ["easemob"], signing: [], id: "user1" },
  kaixin: { vendors: ["kaixin"], signing: ["oauth1Signature"], id: "1" },
};

test("each improfiles/<vendor> entry, by import and by require: its vendors only, the rest named", async () => {
  const require = createRequire(import.meta.url);
  for (const [entry, expected] of Object.entries(ENTRIES)) {
    const imported = await import(`improfiles/${entry}`);
    const required = require(`improfiles/${entry}`);
    for (const api of [imported, required]) {
      assert.deepEqual(
        api.vendors().map((v) => v.vendor),
        expected.vendors,
      );
      const signing = ["rongcloudSignature", "tencentUserSig", "oauth1Signature"].filter((name) => typeof api[name] === "function");
      assert.deepEqual(signing, expected.signing, entry);
      const vendor = expected.vendors[0];
      const client = new api.ProfileClient(demoConfig(vendor, emulator.url));
      const result = await client.getProfiles([expected.id]);
      assert.equal(result.profiles.length, 1, `${entry}: ${JSON.stringify(result.failures)}`);
      // Only Easemob lists users; the other entries leave the listing out and reject as
      // the every-vendor build does.
      if (vendor === "easemob") {
        assert.equal((await client.listProfiles({ pageSize: 2 })).profiles.length, 2, entry);
      } else {
        const unsupported = { code: "unsupported", message: `${vendor} has no user listing endpoint; use getProfiles` };
        await assert.rejects(client.listProfiles({ pageSize: 2 }), unsupported, entry);
        assert.throws(() => client.listPages(), unsupported, entry);
        await assert.rejects(new ProfileClient(demoConfig(vendor, emulator.url)).listAllProfiles(), unsupported, entry);
      }
      const other = entry === "rongcloud" ? "easemob" : "rongcloud";
      assert.throws(
        () => new api.ProfileClient(demoConfig(other, emulator.url)),
        (e) => e instanceof api.ProfileError && e.code === "invalid_config" && e.message.includes(`improfiles/${other}`),
      );
    }
    assert.equal(imported.ProfileError, required.ProfileError, `${entry}: one ProfileError class`);
  }
});

test("every improfiles specifier the README names resolves in Node, for import and for require", async () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const specifiers = [...new Set([...readme.matchAll(/["'`](improfiles(?:\/[\w.-]+)?)["'`]/g)].map((m) => m[1]))];
  assert.ok(specifiers.includes("improfiles/web.js") && specifiers.includes("improfiles/redis-limiter"), specifiers.join(" "));
  const require = createRequire(import.meta.url);
  for (const specifier of specifiers) {
    assert.ok(import.meta.resolve(specifier).startsWith("file:"), specifier);
    if (specifier !== "improfiles/web.js") assert.ok(require.resolve(specifier), specifier); // web.js is ESM only
  }
});

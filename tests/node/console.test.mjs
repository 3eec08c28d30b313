// The www/ admin console in headless Chromium (playwright-core): a 2,000-id query against the
// emulator through the browser-safe signer mode, the table, a failure's code, sorting, the
// CSV export, and a screenshot in tests/output/.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { startConsole } from "../../scripts/console.mjs";
import { launchChromium } from "./helpers/chromium.mjs";

const OUTPUT = fileURLToPath(new URL("../output/", import.meta.url));
let site;
let browser;
before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  [site, browser] = await Promise.all([startConsole(), launchChromium()]);
});
after(() => Promise.all([site.stop(), browser.close()]));

test("a 2,000-id RongCloud query: table, failures, sorting, CSV export, screenshot", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(site.url);
  await page.waitForSelector("body[data-ready=true]");
  // 1,950 directory users and 50 ids nobody has; the signer endpoint mode is the default.
  const ids = [...Array.from({ length: 1950 }, (_, i) => `u${i + 1}`), ...Array.from({ length: 50 }, (_, i) => `gone-${i + 1}`)];
  assert.equal(await page.inputValue("#mode"), "signer");
  assert.equal(await page.inputValue("#cred-signer"), "/demo/rongcloud-signature");
  // One id per line, from a file as a user may give them: typing 2,000 lines with page.fill
  // takes time growing with the square of the lines in Chromium 156 (over 30 s here).
  await page.setInputFiles("#idsFile", { name: "ids.txt", mimeType: "text/plain", buffer: Buffer.from(ids.join("\n")) });
  await page.waitForFunction((count) => document.querySelector("#ids").value.split("\n").length === count, ids.length);
  await page.click("#fetch");
  await page.waitForFunction(() => document.querySelector("#progressText").textContent.startsWith("Done"), null, { timeout: 30_000 });

  assert.equal(await page.locator("#table tbody tr").count(), 2000);
  assert.equal(await page.locator("#table tbody tr.failed").count(), 50);
  const failed = page.locator("#table tbody tr.failed").first();
  assert.deepEqual(await failed.locator("td").evaluateAll((tds) => [tds[0].textContent, tds[1].textContent, tds[7].textContent]), [
    "gone-1",
    "failed",
    "not_found",
  ]);
  assert.match(await page.textContent("#summary"), /2000 ids: 1950 profiles, 50 failures/);
  await page.screenshot({ path: `${OUTPUT}console.png` });

  await page.click("th[data-column=status]");
  assert.equal(await page.textContent("#table tbody tr:first-child td:nth-child(2)"), "failed", "sorted by status, failed first");
  await page.click("th[data-column=status]");
  assert.equal(await page.getAttribute("th[data-column=status]", "aria-sort"), "descending");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#exportCsv")]);
  const csvPath = `${OUTPUT}console-export.csv`;
  await download.saveAs(csvPath);
  const lines = readFileSync(csvPath, "utf8").trim().split("\n");
  assert.equal(
    lines[0],
    "id,status,name,gender,avatarUrl,birthday,location,email,level,role,signature,createdAt,updatedAt,active,code,message",
  );
  assert.equal(lines.length, 2001);
  assert.ok(lines.some((line) => line.startsWith("gone-7,failed,") && line.includes(",not_found,")));
  assert.ok(lines.some((line) => line.startsWith("u1,ok,")));

  assert.deepEqual(errors, []);
  await page.close();
});

test("every vendor's browser-safe mode works from the console", async () => {
  const page = await browser.newPage();
  await page.goto(site.url);
  await page.waitForSelector("body[data-ready=true]");
  for (const [vendor, ids, expected] of [
    ["tencent", "t1 t2 t3", /3 profiles, 0 failures/],
    ["tencent-attrs", "t1, t2", /2 profiles, 0 failures/],
    ["easemob", "user1\nuser2\nghost", /2 profiles, 1 failures/],
    ["kaixin", "1 2 13", /2 profiles, 1 failures/],
  ]) {
    await page.selectOption("#vendor", vendor);
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#credentials input:not([data-optional])")].every((i) => i.value !== ""),
    );
    await page.fill("#ids", ids);
    await page.click("#fetch");
    await page.waitForFunction(
      () => document.querySelector("#progressText").textContent.startsWith("Done") || !document.querySelector("#error").hidden,
      null,
      { timeout: 15_000 },
    );
    assert.equal(await page.isHidden("#error"), true, `${vendor}: ${await page.textContent("#error")}`);
    assert.match(await page.textContent("#summary"), expected, vendor);
  }
  // A config mistake shows the ProfileError instead of fetching.
  await page.fill("#baseUrl", "http://example.com");
  await page.click("#fetch");
  assert.match(await page.textContent("#error"), /invalid_config/);
  await page.close();
});

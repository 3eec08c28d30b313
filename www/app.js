// The improfiles admin console: no framework, the package's browser build, credentials in
// memory only. Its vendors and their credential forms come from the package (`vendors()`).
// `?emulator=<url>` fills the base URL; `?demo=1` (what `make console` opens) fills the
// emulator's demo account (GET <emulator>/__emulator/accounts) in each vendor's browser-safe
// mode, where the signer and the UserSig come from the console script's demo backend.
import { fieldValue, setField } from "../pkg/fields.mjs";
import { CSV_COLUMNS, csvLine } from "../pkg/output.mjs";
import { ProfileClient, ProfileError, vendors } from "../pkg/web.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const VENDORS = new Map(vendors().map((v) => [v.vendor, v]));

// What `make console` serves for the browser-safe modes, as a real deployment's backend would
// (scripts/console.mjs): values a page must not compute itself.
const DEMO_BACKEND = {
  signer: "/demo/rongcloud-signature",
  userSig: async () => (await fetch("/demo/tencent-usersig")).text(),
};

/** The emulator's demo accounts, once (`?demo=1` only). */
const demoAccounts =
  params.has("demo") && params.get("emulator")
    ? fetch(new URL("/__emulator/accounts", params.get("emulator"))).then((r) => r.json())
    : Promise.resolve({});

const COLUMNS = ["id", "status", "name", "gender", "location", "birthday", "avatarUrl", "code", "message"];

let rows = [];
let sort = { column: undefined, descending: false };
let controller;

const vendor = () => VENDORS.get($("vendor").value);
const mode = () => vendor().modes.find((m) => m.id === $("mode").value);

function renderModes() {
  $("mode").replaceChildren(...vendor().modes.map((m) => new Option(m.label, m.id)));
  return renderCredentials();
}

async function renderCredentials() {
  const { vendor: key, account, defaultBaseUrl } = vendor();
  const demo = params.has("demo") ? { ...(await demoAccounts)[key], ...DEMO_BACKEND } : {};
  const inputs = [];
  for (const field of [...account, ...mode().fields]) {
    const input = Object.assign(document.createElement("input"), {
      id: `cred-${field.key}`,
      name: field.key,
      type: field.kind === "secret" ? "password" : field.kind === "number" ? "number" : "text",
      autocomplete: "off",
    });
    if (field.optional) input.dataset.optional = "true";
    const value = fieldValue(demo, field.key);
    if (typeof value === "function")
      value().then(
        (v) => (input.value = v),
        () => {},
      );
    else if (value !== undefined) input.value = value;
    const wrapper = document.createElement("label");
    wrapper.append(field.label, input);
    inputs.push(wrapper);
  }
  if (defaultBaseUrl === null) {
    const hint = Object.assign(document.createElement("p"), {
      className: "hint",
      textContent: `${vendor().title} hosts are per cluster: the base URL is required.`,
    });
    inputs.push(hint);
  }
  $("credentials").replaceChildren(...inputs);
}

/** A signer that asks the endpoint at `signerUrl` (RongCloud: SHA1(secret + nonce + timestamp)). */
function remoteSigner(signerUrl) {
  return async (nonce, timestamp) => {
    const url = new URL(signerUrl, location.href);
    url.search = new URLSearchParams({ nonce, timestamp });
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the signer answered ${response.status}`);
    return (await response.text()).trim();
  };
}

function buildConfig() {
  const config = { vendor: vendor().vendor };
  const baseUrl = $("baseUrl").value.trim();
  if (baseUrl) config.baseUrl = baseUrl;
  for (const field of [...vendor().account, ...mode().fields]) {
    const text = $(`cred-${field.key}`)?.value.trim() ?? "";
    if (!text) continue;
    const value = field.kind === "number" ? Number(text) : field.kind === "function" ? remoteSigner(text) : text;
    setField(config, field.key, value);
  }
  return config;
}

function parseIds(text) {
  return text
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter(Boolean);
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function rowOf(entry, failed) {
  return failed ? { id: entry.id, status: "failed", code: entry.code, message: entry.message } : { ...entry, status: "ok" };
}

function renderTable() {
  const head = $("table").tHead.rows[0];
  head.replaceChildren(
    ...COLUMNS.map((column) => {
      const th = document.createElement("th");
      th.textContent = column;
      th.dataset.column = column;
      if (sort.column === column) th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
      return th;
    }),
  );
  const sorted =
    sort.column === undefined
      ? rows
      : [...rows].sort((a, b) => {
          const x = String(a[sort.column] ?? "");
          const y = String(b[sort.column] ?? "");
          return (sort.descending ? -1 : 1) * x.localeCompare(y, undefined, { numeric: true });
        });
  const body = document.createElement("tbody");
  for (const row of sorted) {
    const tr = body.insertRow();
    if (row.status === "failed") tr.className = "failed";
    for (const column of COLUMNS) {
      const td = tr.insertCell();
      if (column === "avatarUrl" && row.avatarUrl) {
        // The picture, or a plain link where it does not load.
        const link = Object.assign(document.createElement("a"), {
          href: row.avatarUrl,
          target: "_blank",
          rel: "noreferrer",
          textContent: "open",
        });
        const img = Object.assign(document.createElement("img"), { src: row.avatarUrl, alt: "", loading: "lazy" });
        img.addEventListener("error", () => img.replaceWith(link), { once: true });
        td.append(img);
      } else td.textContent = row[column] ?? "";
    }
  }
  $("table").tBodies[0].replaceWith(body);
  const failed = rows.filter((r) => r.status === "failed").length;
  $("summary").textContent = `${rows.length} ids: ${rows.length - failed} profiles, ${failed} failures`;
  $("results").hidden = false;
}

function download(name, type, text) {
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function run(event) {
  event.preventDefault();
  showError("");
  const ids = parseIds($("ids").value);
  if (ids.length === 0) return showError("Enter at least one id.");
  let client;
  try {
    client = new ProfileClient(buildConfig());
  } catch (error) {
    return showError(error instanceof ProfileError ? `${error.code}: ${error.message}` : String(error));
  }
  controller = new AbortController();
  $("fetch").disabled = true;
  $("abort").disabled = false;
  $("progress").value = 0;
  $("progressText").textContent = "Starting…";
  try {
    const result = await client.getProfiles(ids, {
      signal: controller.signal,
      onProgress: (p) => {
        $("progress").max = p.total;
        $("progress").value = p.done;
        $("progressText").textContent = `${p.done} / ${p.total} ids, ${p.failed} failed, ${p.requests} requests`;
      },
    });
    const position = new Map([...new Set(ids)].map((id, i) => [id, i]));
    rows = [...result.profiles.map((p) => rowOf(p, false)), ...result.failures.map((f) => rowOf(f, true))];
    rows.sort((a, b) => position.get(a.id) - position.get(b.id));
    sort = { column: undefined, descending: false };
    renderTable();
    $("progressText").textContent =
      `Done: ${result.stats.profiles} profiles, ${result.stats.failures} failures, ${result.stats.requests} requests in ${(result.stats.elapsedMs / 1000).toFixed(1)} s.`;
  } catch (error) {
    showError(error instanceof ProfileError ? `${error.code}: ${error.message}` : String(error));
    $("progressText").textContent = "Stopped.";
  } finally {
    $("fetch").disabled = false;
    $("abort").disabled = true;
  }
}

$("vendor").addEventListener("change", renderModes);
$("mode").addEventListener("change", renderCredentials);
$("query").addEventListener("submit", run);
$("abort").addEventListener("click", () => controller?.abort());
$("idsFile").addEventListener("change", async () => {
  const file = $("idsFile").files[0];
  if (file) $("ids").value = await file.text();
});
$("table").tHead.addEventListener("click", (event) => {
  const column = event.target.closest("th")?.dataset.column;
  if (!column) return;
  sort = { column, descending: sort.column === column ? !sort.descending : false };
  renderTable();
});
$("exportCsv").addEventListener("click", () => {
  const lines = [CSV_COLUMNS.join(","), ...rows.map((r) => csvLine(r))];
  download(`improfiles-${$("vendor").value}.csv`, "text/csv", `${lines.join("\n")}\n`);
});
$("exportJson").addEventListener("click", () => {
  download(`improfiles-${$("vendor").value}.json`, "application/json", `${JSON.stringify(rows, null, 2)}\n`);
});

$("vendor").replaceChildren(...[...VENDORS.values()].map((v) => new Option(v.title, v.vendor)));
if (params.get("emulator")) $("baseUrl").value = params.get("emulator");
await renderModes();
document.body.dataset.ready = "true";

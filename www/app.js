// The improfiles admin console: no framework, the package's browser build, credentials in
// memory only. `?emulator=<url>` fills the base URL; `?demo=1` (what `make console` opens)
// fills the emulator's demo accounts in each vendor's browser-safe mode.
import { CSV_COLUMNS, csvLine } from "../pkg/output.mjs";
import { ProfileClient, ProfileError } from "../pkg/web.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// Per vendor, its credential modes, the browser-safe one first. Fields: [key, label, secret?].
const MODES = {
  rongcloud: [
    {
      id: "signer",
      label: "Signer endpoint (browser-safe)",
      fields: [
        ["appKey", "App key"],
        ["signerUrl", "Signer URL (returns SHA1(secret + nonce + timestamp))"],
      ],
    },
    {
      id: "appSecret",
      label: "App secret (local testing only)",
      fields: [
        ["appKey", "App key"],
        ["appSecret", "App secret", true],
      ],
    },
  ],
  tencent: [
    {
      id: "userSig",
      label: "UserSig (browser-safe)",
      fields: [
        ["sdkAppId", "SDKAppID"],
        ["identifier", "Admin identifier"],
        ["userSig", "UserSig", true],
      ],
    },
    {
      id: "secretKey",
      label: "Secret key (local testing only)",
      fields: [
        ["sdkAppId", "SDKAppID"],
        ["identifier", "Admin identifier"],
        ["secretKey", "Secret key", true],
      ],
    },
  ],
  easemob: [
    {
      id: "token",
      label: "App token (browser-safe)",
      fields: [
        ["orgName", "Org name"],
        ["appName", "App name"],
        ["token", "App token", true],
      ],
    },
    {
      id: "client",
      label: "Client ID + secret (local testing only)",
      fields: [
        ["orgName", "Org name"],
        ["appName", "App name"],
        ["clientId", "Client ID"],
        ["clientSecret", "Client secret", true],
      ],
    },
  ],
  kaixin: [
    { id: "oauth2", label: "OAuth 2 access token", fields: [["accessToken", "Access token", true]] },
    {
      id: "oauth1",
      label: "OAuth 1.0a (local testing only)",
      fields: [
        ["consumerKey", "Consumer key"],
        ["consumerSecret", "Consumer secret", true],
        ["token", "Token", true],
        ["tokenSecret", "Token secret", true],
      ],
    },
  ],
};
MODES["tencent-attrs"] = MODES.tencent;

// `make console` serves these demo endpoints next to the page (scripts/console.mjs).
const DEMO = {
  rongcloud: { appKey: "demo-app-key", signerUrl: "/demo/rongcloud-signature" },
  tencent: { sdkAppId: "1400000001", identifier: "administrator", userSig: async () => (await fetch("/demo/tencent-usersig")).text() },
  easemob: { orgName: "demo-org", appName: "demo-app", token: "demo-static-app-token" },
  kaixin: { accessToken: "demo-oauth2-token" },
};
DEMO["tencent-attrs"] = DEMO.tencent;

const COLUMNS = ["id", "status", "name", "gender", "location", "birthday", "avatarUrl", "code", "message"];

let rows = [];
let sort = { column: undefined, descending: false };
let controller;

function renderModes() {
  const modes = MODES[$("vendor").value];
  $("mode").replaceChildren(...modes.map((m) => new Option(m.label, m.id)));
  renderCredentials();
}

async function renderCredentials() {
  const vendor = $("vendor").value;
  const mode = MODES[vendor].find((m) => m.id === $("mode").value);
  const demo = params.has("demo") ? DEMO[vendor] : {};
  const inputs = [];
  for (const [key, label, secret] of mode.fields) {
    const input = Object.assign(document.createElement("input"), {
      id: `cred-${key}`,
      name: key,
      type: secret ? "password" : "text",
      autocomplete: "off",
    });
    const value = demo[key];
    if (typeof value === "function")
      value().then(
        (v) => (input.value = v),
        () => {},
      );
    else if (value !== undefined) input.value = value;
    const wrapper = document.createElement("label");
    wrapper.append(label, input);
    inputs.push(wrapper);
  }
  if (vendor === "easemob") {
    const hint = Object.assign(document.createElement("p"), {
      className: "hint",
      textContent: "Easemob hosts are per cluster: the base URL is required.",
    });
    inputs.push(hint);
  }
  $("credentials").replaceChildren(...inputs);
}

function credential(key) {
  return $(`cred-${key}`)?.value.trim() ?? "";
}

function buildConfig() {
  const vendor = $("vendor").value;
  const config = { vendor };
  const baseUrl = $("baseUrl").value.trim();
  if (baseUrl) config.baseUrl = baseUrl;
  const mode = $("mode").value;
  const take = (...keys) => {
    for (const k of keys) if (credential(k)) config[k] = credential(k);
  };
  if (vendor === "rongcloud") {
    take("appKey");
    if (mode === "signer") {
      const signerUrl = credential("signerUrl");
      config.signer = async (nonce, timestamp) => {
        const url = new URL(signerUrl, location.href);
        url.search = new URLSearchParams({ nonce, timestamp });
        const response = await fetch(url);
        if (!response.ok) throw new Error(`the signer answered ${response.status}`);
        return (await response.text()).trim();
      };
    } else take("appSecret");
  } else if (vendor === "tencent" || vendor === "tencent-attrs") {
    if (credential("sdkAppId")) config.sdkAppId = Number(credential("sdkAppId"));
    take("identifier", mode === "userSig" ? "userSig" : "secretKey");
  } else if (vendor === "easemob") {
    take("orgName", "appName", ...(mode === "token" ? ["token"] : ["clientId", "clientSecret"]));
  } else if (mode === "oauth2") {
    take("accessToken");
  } else {
    config.oauth1 = Object.fromEntries(["consumerKey", "consumerSecret", "token", "tokenSecret"].map((k) => [k, credential(k)]));
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

if (params.get("emulator")) $("baseUrl").value = params.get("emulator");
renderModes();
document.body.dataset.ready = "true";

// Writes the entry points improfiles/<vendor> into pkg/: for each vendor module built alone
// into pkg/<vendor>/ (scripts/build-pkg.sh), the same API as "improfiles" — ProfileClient,
// ProfileLoader, ProfileError, vendors() and the signing functions that vendor needs — for
// Node (CommonJS and ESM), browsers and bundlers, with its types, and its `exports` in
// pkg/package.json. `node scripts/vendor-entries.mjs <vendor>…`
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const SIGNING = ["rongcloudSignature", "tencentUserSig", "oauth1Signature"];
const require = createRequire(import.meta.url);
const pkg = resolve("pkg");
const manifest = JSON.parse(readFileSync(`${pkg}/package.json`, "utf8"));
const index = readFileSync(`${pkg}/index.d.ts`, "utf8");

for (const vendor of process.argv.slice(2)) {
  const built = require(`${pkg}/${vendor}/node/improfiles.js`);
  const signing = SIGNING.filter((name) => typeof built[name] === "function");
  const names = ["ProfileClient", "ProfileLoader", "ProfileError", "vendors", ...signing];
  const header = `// improfiles/${vendor}: the API of "improfiles", with WebAssembly holding only ${vendor}\n// (written by scripts/vendor-entries.mjs).\n`;
  writeFileSync(
    `${pkg}/${vendor}.cjs`,
    `${header}const wasm = require("./${vendor}/node/improfiles.js");

require("./node-fetch.cjs").install();

module.exports = {
  ProfileClient: wasm.ProfileClient,
  ProfileLoader: wasm.__profileLoaderClass(),
  ProfileError: wasm.__profileErrorClass(),
  vendors: wasm.vendors,
${signing.map((name) => `  ${name}: wasm.${name},\n`).join("")}};
`,
  );
  writeFileSync(`${pkg}/${vendor}.mjs`, `${header}import entry from "./${vendor}.cjs";\n\nexport const { ${names.join(", ")} } = entry;\n`);
  writeFileSync(
    `${pkg}/${vendor}.web.js`,
    `${header}import init, { ProfileClient, __profileErrorClass, __profileLoaderClass, ${["vendors", ...signing].join(", ")} } from "./${vendor}/web/improfiles.js";

await init({ module_or_path: new URL("./${vendor}/web/improfiles_bg.wasm", import.meta.url) });

export { ProfileClient, ${["vendors", ...signing].join(", ")} };
export const ProfileError = __profileErrorClass();
export const ProfileLoader = __profileLoaderClass();
`,
  );
  // The package's declarations, from this build (its Vendor union), without the functions it
  // does not hold.
  const types = index
    .replaceAll('"./node/improfiles.js"', `"./${vendor}/node/improfiles.js"`)
    .split("\n")
    .filter((line) => !SIGNING.some((name) => line.trim() === `${name},` && !signing.includes(name)))
    .join("\n");
  writeFileSync(`${pkg}/${vendor}.d.ts`, types);
  writeFileSync(`${pkg}/${vendor}.d.cts`, types);
  manifest.exports[`./${vendor}`] = {
    node: {
      import: { types: `./${vendor}.d.ts`, default: `./${vendor}.mjs` },
      require: { types: `./${vendor}.d.cts`, default: `./${vendor}.cjs` },
    },
    types: `./${vendor}.d.ts`,
    default: `./${vendor}.web.js`,
  };
  manifest.files.push(`${vendor}/`, `${vendor}.cjs`, `${vendor}.mjs`, `${vendor}.web.js`, `${vendor}.d.ts`, `${vendor}.d.cts`);
  manifest.sideEffects.push(`./${vendor}.web.js`);
}
// `./package.json` stays the last export, after the vendors'.
const { "./package.json": own, ...exports } = manifest.exports;
manifest.exports = { ...exports, "./package.json": own };
writeFileSync(`${pkg}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);

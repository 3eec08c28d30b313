// Writes the `Vendor` union into a build's declarations (`<dir>/node`, `<dir>/web`) from the
// vendors' own descriptors (core/src/vendors, exported as `vendors()`), so the TypeScript
// types follow the vendor modules the build holds. Run by scripts/build-pkg.sh after
// wasm-bindgen: `node scripts/vendor-types.mjs <dir>`.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const dir = resolve(process.argv[2]);
const { vendors } = createRequire(import.meta.url)(`${dir}/node/improfiles.js`);
const union = vendors()
  .map((v) => JSON.stringify(v.vendor))
  .join(" | ");
const placeholder = "export type Vendor = string;";
for (const file of [`${dir}/node/improfiles.d.ts`, `${dir}/web/improfiles.d.ts`]) {
  const text = readFileSync(file, "utf8");
  if (!text.includes(placeholder)) throw new Error(`${file}: no ${placeholder} to fill in`);
  writeFileSync(file, text.replace(placeholder, `export type Vendor = ${union};`));
}

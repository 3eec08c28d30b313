// Writes the `Vendor` union into the built declarations from the vendors' own descriptors
// (core/src/vendors, exported as `vendors()`), so the TypeScript types follow the vendor
// modules. Run by scripts/build-pkg.sh after wasm-bindgen.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { vendors } = require("../pkg/node/improfiles.js");
const union = vendors()
  .map((v) => JSON.stringify(v.vendor))
  .join(" | ");
const placeholder = "export type Vendor = string;";
for (const file of ["pkg/node/improfiles.d.ts", "pkg/web/improfiles.d.ts"]) {
  const text = readFileSync(file, "utf8");
  if (!text.includes(placeholder)) throw new Error(`${file}: no ${placeholder} to fill in`);
  writeFileSync(file, text.replace(placeholder, `export type Vendor = ${union};`));
}
console.log(`Vendor = ${union}`);

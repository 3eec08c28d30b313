#!/usr/bin/env bash
# Builds the npm package into pkg/: the release .wasm through wasm-bindgen twice (a `nodejs`
# build for require/import in Node, a `web` build for browsers and bundlers), plus the entry
# points and types from js/package/. Besides the build holding every vendor (pkg/node,
# pkg/web), one build per vendor module (pkg/<vendor>/) serves the entry points
# improfiles/<vendor> (scripts/vendor-entries.mjs writes them).
set -euo pipefail
cd "$(dirname "$0")/.."

VENDORS=(rongcloud tencent easemob kaixin)
rm -rf pkg

# build <dir> <cargo profile> [cargo feature flags…]: the .wasm of those features into
# <dir>/node and <dir>/web, built for speed (the profile `speed`, every vendor) or for size
# (`release`, one vendor each: Cargo.toml says why).
build() {
  local dir=$1 profile=$2
  shift 2
  local wasm=target/wasm32-unknown-unknown/$profile/improfiles.wasm
  cargo build --profile "$profile" --target wasm32-unknown-unknown --lib "$@"
  wasm-bindgen --target nodejs --out-dir "$dir/node" "$wasm"
  wasm-bindgen --target web --out-dir "$dir/web" "$wasm"
  # Both targets get the same .wasm, optimized once more with binaryen's wasm-opt (the npm
  # package: wasm-pack's own download of binaryen needs a network): -O3 for speed; for size,
  # control flow flattened and rebuilt by the Relooper before -Oz, and -Oz run until it stops
  # shrinking, which take 1.8 KB more gzip off (BENCHMARKS.md) for 30 s a build. Either drops
  # the name section, and the two strip flags the custom sections naming the compiler and
  # its target features, which nothing reads at run time. The features are those Rust
  # enables by default for wasm32-unknown-unknown. `--low-memory-unused` lets a constant added to an
  # address become the instruction's offset (0.4 KB gzip): it holds because nothing lives in
  # the first KB of memory, the bottom of the 1 MiB stack, which Rust's data sits above.
  local passes=(--flatten --rereloop -Oz --converge)
  if [ "$profile" = speed ]; then passes=(-O3); fi
  if [ "${WASM_OPT:-1}" != 0 ]; then
    node_modules/.bin/wasm-opt "${passes[@]}" --low-memory-unused \
      --strip-producers --strip-target-features \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$dir/web/improfiles_bg.wasm" -o "$dir/web/improfiles_bg.wasm"
    cp "$dir/web/improfiles_bg.wasm" "$dir/node/improfiles_bg.wasm"
  fi
  # The generated files are CommonJS in node/ and ES modules in web/: say so to Node. The JS
  # snippets are ES modules everywhere; the nodejs glue loads them with require(esm), which
  # Node has without a flag since 20.19.
  printf '{ "type": "commonjs" }\n' > "$dir/node/package.json"
  printf '{ "type": "module" }\n' > "$dir/node/snippets/package.json"
  printf '{ "type": "module" }\n' > "$dir/web/package.json"
  # wasm-bindgen types the raw exports of the .wasm (and the web build's InitOutput) with
  # `any`: nothing a user calls, but a checker reading every shipped .d.ts should not meet it.
  sed -i -E 's/(: |=> )any\b/\1unknown/g' "$dir"/node/*.d.ts "$dir"/web/*.d.ts
  node scripts/vendor-types.mjs "$dir"
}

build pkg speed
for vendor in "${VENDORS[@]}"; do
  build "pkg/$vendor" release --no-default-features --features "$vendor"
done
cp js/package/* pkg/
cp README.md LICENSE pkg/
node scripts/vendor-entries.mjs "${VENDORS[@]}"
# CommonJS twins of the type entry points (`require` resolves them): the same declarations,
# pointing at each other.
cp pkg/index.d.ts pkg/index.d.cts
sed 's#"\./index\.js"#"./index.cjs"#g' pkg/redis-limiter.d.ts > pkg/redis-limiter.d.cts
# One version source: Cargo.toml's, stamped into the package.
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
node -e 'const fs = require("node:fs"); const p = JSON.parse(fs.readFileSync("pkg/package.json", "utf8")); p.version = process.argv[1]; fs.writeFileSync("pkg/package.json", JSON.stringify(p, null, 2) + "\n");' "$version"
# Lets tests, the demo and scripts in this repo `import "improfiles"` as users do.
mkdir -p node_modules
ln -sfn ../pkg node_modules/improfiles
echo "pkg/ built: $(wc -c < pkg/web/improfiles_bg.wasm) bytes of wasm"
for vendor in "${VENDORS[@]}"; do
  echo "pkg/$vendor: $(wc -c < "pkg/$vendor/web/improfiles_bg.wasm") bytes of wasm"
done

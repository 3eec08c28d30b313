// Strings into wasm. The fast way for an array of ids: one string, the ids joined by "\n"
// (copied in by `utf8`, below), instead of four crossings of the boundary per id
// (BENCHMARKS.md). Only for the common case — every element a string and the whole
// well-formed UTF-16 (`wellFormed`, below) — and anything else (a getter that throws, a
// non-string, a lone surrogate) is `undefined`, for src/js.rs to read one element at a time
// and say which one is wrong. An id holding "\n" is refused anyway (no vendor takes control
// characters); src/js.rs sees the count differ and reads the array the slow way, to say so.
export function joinedIds(ids) {
  try {
    for (let i = 0; i < ids.length; i++) if (typeof ids[i] !== "string") return undefined;
    const joined = ids.join("\n");
    return wellFormed(joined) ? joined : undefined;
  } catch {
    return undefined;
  }
}

const LONE_SURROGATE = /\p{Surrogate}/u;

/// Whether `id` (a string) is well-formed UTF-16, with no lone surrogate: `isWellFormed`
/// where the engine has it (Node 20, Chrome 111, Firefox 119, Safari 16.4), else a Unicode
/// regex, in which a lone surrogate is a code point of category Cs and a pair is not.
export function wellFormed(id) {
  return typeof id.isWellFormed === "function" ? id.isWellFormed() : !LONE_SURROGATE.test(id);
}

// Any string into wasm memory as UTF-8, encoded by one native call. wasm-bindgen's own way
// for a String (an argument or a return value) copies it a character at a time while it is
// ASCII: 218 µs for a 73 KB response body that `encodeInto` writes in 5 to 8 µs. `encode`,
// which makes a buffer of its own, took 33 µs for it, and for a 17 KB body holding CJK more
// than the loop (BENCHMARKS.md).
const ENCODER = new TextEncoder();
/// The most bytes kept between calls for `encodeInto` to write to.
const KEPT = 1 << 20;
let scratch = new Uint8Array(1024);

/// `value`'s UTF-8 when it is a string (a lone surrogate becomes U+FFFD, as in any encoding
/// of it to UTF-8), else `undefined`. The bytes may be a view of a buffer the next call
/// reuses: the glue copies them into wasm memory at once.
export function utf8(value) {
  if (typeof value !== "string") return undefined;
  const most = value.length * 3;
  if (most > KEPT) return ENCODER.encode(value);
  if (most > scratch.length) scratch = new Uint8Array(most);
  return scratch.subarray(0, ENCODER.encodeInto(value, scratch).written);
}

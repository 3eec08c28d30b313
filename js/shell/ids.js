// The fast way for an array of ids into wasm: one string, the ids joined by "\n", instead of
// four crossings of the boundary per id (BENCHMARKS.md). Only for the common case — every
// element a string and the whole well-formed UTF-16 (`wellFormed`, below) — and anything
// else (a getter that throws, a non-string, a lone surrogate) is `undefined`, for
// src/js.rs to read one element at a time and say which one is wrong. An id holding
// "\n" is refused anyway (no vendor takes control characters); src/js.rs sees the count
// differ and reads the array the slow way, to say so.
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

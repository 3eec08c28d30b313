// The size of improfiles' wasm memory, read through the first WebAssembly instance made after
// this module is imported (import it before improfiles: the glue instantiates the module as
// it loads). Wasm memory only ever grows, so its size is its peak. Used by the memory tests
// and bench/large-result.mjs.
let memory;
WebAssembly.Instance = class extends WebAssembly.Instance {
  constructor(module, imports) {
    super(module, imports);
    memory ??= this.exports.memory;
  }
};

/** Bytes of wasm memory now (0 before the module is instantiated). */
export const wasmMemoryBytes = () => memory?.buffer.byteLength ?? 0;

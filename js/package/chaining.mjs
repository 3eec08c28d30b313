// DataLoader's prime, clear and clearAll return the loader itself, so calls chain and
// `loader.clear(id) === loader`. The wasm methods can only return a new handle on the same
// loader (wasm-bindgen has no `this`): each entry point makes them return `this` instead,
// freeing that handle at once.
export function chainLoaderMethods(ProfileLoader) {
  for (const name of ["prime", "clear", "clearAll"]) {
    const handleReturning = ProfileLoader.prototype[name];
    ProfileLoader.prototype[name] = function (...args) {
      handleReturning.apply(this, args).free();
      return this;
    };
  }
}

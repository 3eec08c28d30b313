// Node entry (require and import): the wasm-bindgen `nodejs` build, which loads its .wasm
// synchronously from disk.
const wasm = require("./node/improfiles.js");

module.exports = {
  ProfileClient: wasm.ProfileClient,
  ProfileLoader: wasm.ProfileLoader,
  ProfileError: wasm.__profileErrorClass(),
};

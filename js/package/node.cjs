// Node entry (require and import): the wasm-bindgen `nodejs` build, which loads its .wasm
// synchronously from disk.
const wasm = require("./node/improfiles.js");

module.exports = {
  ProfileClient: wasm.ProfileClient,
  ProfileError: wasm.__profileErrorClass(),
};

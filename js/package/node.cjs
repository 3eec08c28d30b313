// Node entry (require and import): the wasm-bindgen `nodejs` build, which loads its .wasm
// synchronously from disk.
const wasm = require("./node/improfiles.js");

// Clients without config.fetch send through node:http(s) (node-fetch.cjs says why).
require("./node-fetch.cjs").install();

module.exports = {
  ProfileClient: wasm.ProfileClient,
  ProfileLoader: wasm.__profileLoaderClass(),
  rongcloudSignature: wasm.rongcloudSignature,
  tencentUserSig: wasm.tencentUserSig,
  oauth1Signature: wasm.oauth1Signature,
  vendors: wasm.vendors,
  ProfileError: wasm.__profileErrorClass(),
};

// Browser and bundler entry: the wasm-bindgen `web` build, instantiated once at import
// (top-level await) from the .wasm file next to this one.
import init, {
  ProfileClient,
  __profileErrorClass,
  __profileLoaderClass,
  rongcloudSignature,
  tencentUserSig,
  oauth1Signature,
  vendors,
} from "./web/improfiles.js";

await init({ module_or_path: new URL("./web/improfiles_bg.wasm", import.meta.url) });

export { ProfileClient, rongcloudSignature, tencentUserSig, oauth1Signature, vendors };
export const ProfileError = __profileErrorClass();
export const ProfileLoader = __profileLoaderClass();

// Browser and bundler entry: the wasm-bindgen `web` build, instantiated once at import
// (top-level await) from the .wasm file next to this one.
import init, {
  ProfileClient,
  ProfileLoader,
  __profileErrorClass,
  rongcloudSignature,
  tencentUserSig,
  oauth1Signature,
} from "./web/improfiles.js";
import { chainLoaderMethods } from "./chaining.mjs";

await init({ module_or_path: new URL("./web/improfiles_bg.wasm", import.meta.url) });
chainLoaderMethods(ProfileLoader);

export { ProfileClient, ProfileLoader, rongcloudSignature, tencentUserSig, oauth1Signature };
export const ProfileError = __profileErrorClass();

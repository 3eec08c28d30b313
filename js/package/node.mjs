// Node ESM entry: the same instance as the CommonJS entry, so `instanceof ProfileError`
// holds whichever way the package was loaded.
import entry from "./node.cjs";

export const { ProfileClient, ProfileLoader, ProfileError, rongcloudSignature, tencentUserSig, oauth1Signature, vendors } = entry;

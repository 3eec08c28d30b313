// The per-vendor entry point by its package name: Vite ships only that build's .wasm.
import { ProfileClient, vendors } from "improfiles/rongcloud";

import { fetchProfiles } from "../pages/fetch-profiles.js";

const emulator = new URLSearchParams(location.search).get("emulator");
fetchProfiles(ProfileClient, emulator).then(
  (result) => (window.outcome = { result, vendors: vendors().map((v) => v.vendor) }),
  (error) => (window.outcome = { error: String(error) }),
);

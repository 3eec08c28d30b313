// Imported by its package name, as an app would: Vite resolves it through the package's
// `exports` and must ship the .wasm the module loads with `new URL(…, import.meta.url)`.
import { ProfileClient } from "improfiles";

import { fetchProfiles } from "../pages/fetch-profiles.js";

const emulator = new URLSearchParams(location.search).get("emulator");
fetchProfiles(ProfileClient, emulator).then(
  (result) => (window.outcome = { result }),
  (error) => (window.outcome = { error: String(error) }),
);

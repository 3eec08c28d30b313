// A module Web Worker: no window, no DOM; the package must load and fetch all the same. The
// emulator comes in the worker's own URL: a message could arrive while the package's
// top-level await is still pending, before any handler exists.
import { ProfileClient } from "/pkg/web.js";
import { fetchProfiles } from "./fetch-profiles.js";

const emulator = new URL(self.location.href).searchParams.get("emulator");
fetchProfiles(ProfileClient, emulator).then(
  (result) => self.postMessage({ result, hasWindow: typeof window !== "undefined" }),
  (error) => self.postMessage({ error: String(error) }),
);

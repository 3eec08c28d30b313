import { demoClient } from "improfiles-emulator/clients.mjs";

/** An Easemob client on the emulator, with client credentials unless `extra` says otherwise. */
export function easemob(emulator, extra = {}) {
  return demoClient("easemob", emulator.url, extra, "client");
}

export function easemobWithToken(emulator, extra = {}) {
  return demoClient("easemob", emulator.url, extra, "token");
}

// Clients of the built package (`improfiles`, pkg/) on the emulator's demo accounts.
import { ProfileClient } from "improfiles";

import { demoConfig } from "./accounts.mjs";

/** A client of `vendor` on the emulator at `url` with its demo account (see `demoConfig`), plus `extra`. */
export function demoClient(vendor, url, extra = {}, mode = undefined) {
  return new ProfileClient({ ...demoConfig(vendor, url, mode), ...extra });
}

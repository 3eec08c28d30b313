import { KAIXIN } from "improfiles-emulator";
import { demoClient } from "improfiles-emulator/clients.mjs";

export const { oauth1: OAUTH1, accessToken: OAUTH2_TOKEN } = KAIXIN;

export function kaixin(emulator, extra = {}) {
  return demoClient("kaixin", emulator.url, extra);
}

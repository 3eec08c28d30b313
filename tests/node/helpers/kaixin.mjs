import { ProfileClient } from "improfiles";

export const OAUTH1 = {
  consumerKey: "demo-consumer-key",
  consumerSecret: "demo-consumer-secret",
  token: "demo-access-token",
  tokenSecret: "demo-token-secret",
};
export const OAUTH2_TOKEN = "demo-oauth2-token";

export function kaixin(emulator, extra = {}) {
  return new ProfileClient({ vendor: "kaixin", oauth1: OAUTH1, baseUrl: emulator.url, ...extra });
}

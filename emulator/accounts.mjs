// The emulator's demo accounts: the one place they are written. The vendor modules accept
// them; tests, benchmarks, the demo and the console take them from here (a page, from
// GET /__emulator/accounts). The shipped package knows none of them.

export const RONGCLOUD = { appKey: "demo-app-key", appSecret: "demo-app-secret" };
export const TENCENT = { sdkAppId: 1400000001, identifier: "administrator", secretKey: "demo-tencent-secret-key" };
export const EASEMOB = {
  orgName: "demo-org",
  appName: "demo-app",
  clientId: "demo-client-id",
  clientSecret: "demo-client-secret",
  token: "demo-static-app-token",
};
export const KAIXIN = {
  oauth1: {
    consumerKey: "demo-consumer-key",
    consumerSecret: "demo-consumer-secret",
    token: "demo-access-token",
    tokenSecret: "demo-token-secret",
  },
  accessToken: "demo-oauth2-token",
};

/** Every vendor key's demo account. */
export const ACCOUNTS = { rongcloud: RONGCLOUD, tencent: TENCENT, "tencent-attrs": TENCENT, easemob: EASEMOB, kaixin: KAIXIN };

/**
 * The config of a client of `vendor` on the emulator at `url`, with its demo account in credential
 * mode `mode` (a mode id of `vendors()`; by default the one a server uses: a secret, not a signer).
 */
export function demoConfig(vendor, url, mode) {
  const base = { vendor, baseUrl: url };
  switch (vendor) {
    case "rongcloud":
      return { ...base, ...RONGCLOUD };
    case "tencent":
    case "tencent-attrs":
      return { ...base, ...TENCENT };
    case "easemob": {
      const { token, clientId, clientSecret, ...account } = EASEMOB;
      return { ...base, ...account, ...(mode === "token" ? { token } : { clientId, clientSecret }) };
    }
    case "kaixin":
      return mode === "oauth2" ? { ...base, accessToken: KAIXIN.accessToken } : { ...base, oauth1: KAIXIN.oauth1 };
    default:
      throw new Error(`the emulator has no ${vendor} account`);
  }
}

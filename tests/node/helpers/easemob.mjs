import { ProfileClient } from "improfiles";

import { APP, CLIENT_ID, CLIENT_SECRET, ORG, STATIC_TOKEN } from "../../../emulator/vendors/easemob.mjs";

/** An Easemob client on the emulator, with client credentials unless `extra` says otherwise. */
export function easemob(emulator, extra = {}) {
  return new ProfileClient({
    vendor: "easemob",
    orgName: ORG,
    appName: APP,
    baseUrl: emulator.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ...extra,
  });
}

export function easemobWithToken(emulator, extra = {}) {
  return new ProfileClient({ vendor: "easemob", orgName: ORG, appName: APP, baseUrl: emulator.url, token: STATIC_TOKEN, ...extra });
}

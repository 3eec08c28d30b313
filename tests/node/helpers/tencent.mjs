import { TENCENT } from "improfiles-emulator";
import { demoClient } from "improfiles-emulator/clients.mjs";

export const { sdkAppId: SDK_APP_ID, identifier: IDENTIFIER, secretKey: SECRET_KEY } = TENCENT;

/** A client of `vendor` ("tencent" or "tencent-attrs") on the emulator, signing with the secret key. */
export function tencent(emulator, vendor = "tencent", extra = {}) {
  return demoClient(vendor, emulator.url, extra);
}

/** Directory accounts t1..t{known} and `unknown` accounts nobody has, some listed twice. */
export function accounts(known, unknown) {
  const ids = [];
  for (let i = 1; i <= Math.max(known, unknown); i++) {
    if (i <= known) ids.push(`t${i}`);
    if (i <= unknown) ids.push(`nobody-${i}`);
    if (i <= known && i % 4 === 0) ids.push(`t${i}`);
  }
  return ids;
}

/** A fetch that records every URL and answers like a Tencent server would, without a network. */
export function recordingFetch(reply = { ActionStatus: "OK", ErrorCode: 0, UserAttrs: [] }) {
  const urls = [];
  const fetch = async (url) => {
    urls.push(String(url));
    return new Response(JSON.stringify(reply), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch, urls };
}

/** The `usersig` query value of a request URL. */
export const userSigOf = (url) => new URL(url).searchParams.get("usersig");

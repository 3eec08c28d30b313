import { ProfileClient } from "improfiles";

export const APP_KEY = "demo-app-key";
export const APP_SECRET = "demo-app-secret";

export function rongcloud(emulator, extra = {}) {
  return new ProfileClient({ vendor: "rongcloud", appKey: APP_KEY, appSecret: APP_SECRET, baseUrl: emulator.url, ...extra });
}

/** `known` directory users u1..u{known}, each listed twice, and `unknown` ids nobody has. */
export function mixedIds(known, unknown) {
  const ids = [];
  for (let i = 1; i <= Math.max(known, unknown); i++) {
    if (i <= known) ids.push(`u${i}`);
    if (i <= unknown) ids.push(`ghost-${i}`);
    if (i <= known && i % 3 === 0) ids.push(`u${i}`);
  }
  return ids;
}

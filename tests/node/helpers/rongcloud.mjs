import { RONGCLOUD } from "improfiles-emulator";
import { demoClient } from "improfiles-emulator/clients.mjs";

export const { appKey: APP_KEY, appSecret: APP_SECRET } = RONGCLOUD;

export function rongcloud(emulator, extra = {}) {
  return demoClient("rongcloud", emulator.url, extra);
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

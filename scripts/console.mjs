#!/usr/bin/env node
// `make console`: the www/ admin console against the embedded emulator. Serves the repository
// (the page imports ../pkg/web.js) with two demo endpoints a real deployment would keep on
// its own backend: a RongCloud signer and a Tencent UserSig issuer, both made with the
// package's own signing functions, so the page never holds a secret.
import { fileURLToPath } from "node:url";

import { rongcloudSignature, tencentUserSig } from "improfiles";

import { RONGCLOUD, TENCENT, startEmulator } from "improfiles-emulator";
import { serveStatic } from "../tests/node/helpers/static-server.mjs";

export const DEMO_ROUTES = {
  "/demo/rongcloud-signature": (url) =>
    rongcloudSignature(RONGCLOUD.appSecret, url.searchParams.get("nonce") ?? "", url.searchParams.get("timestamp") ?? ""),
  "/demo/tencent-usersig": () => {
    const { sdkAppId, identifier, secretKey } = TENCENT;
    return tencentUserSig({ sdkAppId, identifier, secretKey, expireSeconds: 3600 });
  },
};

/** Starts the emulator and the console; resolves the page's URL and a stop function. */
export async function startConsole() {
  const emulator = await startEmulator();
  const site = await serveStatic(fileURLToPath(new URL("..", import.meta.url)), DEMO_ROUTES);
  return {
    url: `${site.url}/www/?demo=1&emulator=${encodeURIComponent(emulator.url)}`,
    emulator,
    stop: () => Promise.all([site.close(), emulator.stop()]),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const console_ = await startConsole();
  process.stdout.write(`improfiles console: ${console_.url}\n(emulator at ${console_.emulator.url}; Ctrl-C stops both)\n`);
  const stop = async () => {
    await console_.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

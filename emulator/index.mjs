// improfiles-emulator: the development package for everything that runs against the vendor
// emulator — tests, benchmarks, the demo and the console. It is the one source of the demo
// accounts (accounts.mjs) and of clients on them (clients.mjs, which needs the built
// package); the published package (pkg/) knows none of this.

export { ACCOUNTS, EASEMOB, KAIXIN, RONGCLOUD, TENCENT, demoConfig } from "./accounts.mjs";
export { accountingErrors, busiestSecond, startEmulator } from "./process.mjs";
export { createEmulator } from "./server.mjs";

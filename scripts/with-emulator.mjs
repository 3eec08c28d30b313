#!/usr/bin/env node
// Runs a command with the vendor emulator up: `node scripts/with-emulator.mjs <cmd> [args…]`.
// The command finds the emulator in IMPROFILES_EMULATOR_URL; the emulator stops when it ends.

import { spawn } from "node:child_process";

import { startEmulator } from "../tests/node/helpers/emulator.mjs";

const [command, ...args] = process.argv.slice(2);
const emulator = await startEmulator();
const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, IMPROFILES_EMULATOR_URL: emulator.url } });
const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await emulator.stop();
process.exit(code);

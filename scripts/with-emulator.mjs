#!/usr/bin/env node
// Runs a command with the vendor emulator up: `node scripts/with-emulator.mjs <cmd> [args…]`.
// The command finds the emulator in IMPROFILES_EMULATOR_URL and its demo accounts (JSON) in
// IMPROFILES_DEMO_ACCOUNTS; the emulator stops when the command ends.

import { spawn } from "node:child_process";

import { ACCOUNTS, startEmulator } from "improfiles-emulator";

const [command, ...args] = process.argv.slice(2);
const emulator = await startEmulator();
const env = { ...process.env, IMPROFILES_EMULATOR_URL: emulator.url, IMPROFILES_DEMO_ACCOUNTS: JSON.stringify(ACCOUNTS) };
const child = spawn(command, args, { stdio: "inherit", env });
const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await emulator.stop();
process.exit(code);

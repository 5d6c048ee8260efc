#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: the workspace ships no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
// Exit explicitly: idle keep-alive sockets and native thread pools must not hold the process.
process.exit(await main(process.argv.slice(2)));

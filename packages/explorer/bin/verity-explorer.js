#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: the workspace ships no build step (the page
// itself is built with Vite on first start).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
// Exit explicitly: idle keep-alive sockets and the model runner's host process must not hold it.
process.exit(await main(process.argv.slice(2)));

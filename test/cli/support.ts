import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `verity` command's entry point. */
export const BIN = fileURLToPath(new URL("../../packages/cli/bin/verity.js", import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json(): Record<string, unknown>;
}

/** Runs `verity` as a user would: a separate process, settings from the environment. */
export function verity(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("VERITY_")),
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...clean, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`verity ${args.join(" ")} took too long; stderr:\n${stderr}`));
    }, 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}

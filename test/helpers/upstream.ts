import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "./redis-server";

const ROOT = join(__dirname, "..", "..");

/** A separate Hardhat node: the "mainnet" of this test, which the rehearsal forks over JSON-RPC. */
export async function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "node_modules/hardhat/internal/cli/cli.js"), "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`upstream node did not start: ${out.slice(-2000)}`)), 60_000);
    const seen = (d: Buffer) => {
      out += d;
      if (out.includes("Started HTTP")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", (d) => (out += d));
    child.once("exit", (code) => reject(new Error(`upstream node exited ${code}: ${out.slice(-2000)}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

import { expect } from "chai";
import { Writable } from "node:stream";
import { Wallet } from "ethers";
import { createLogger } from "../../../src/log/logger";
import { Redactor, redactUrl } from "../../../src/log/redact";

function captureLogger(redactor: Redactor) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ redactor, stream, level: "debug" }), lines };
}

describe("log redaction", () => {
  const signerKey = Wallet.createRandom().privateKey;
  const rpcUrl = "https://eth-mainnet.example.io/v2/sEcReTaPiKeY1234567890";

  it("never writes a registered signing key or RPC secret, wherever it hides in a record", async () => {
    const redactor = new Redactor().register(signerKey, rpcUrl);
    const { logger, lines } = captureLogger(redactor);
    logger.info(`connecting to ${rpcUrl} with ${signerKey}`, {
      nested: { key: signerKey.slice(2), list: [rpcUrl] },
      error: new Error(`request to ${rpcUrl} failed`),
    });
    logger.error("boom", { cause: { message: `key=${signerKey}` } });
    await new Promise((r) => setImmediate(r));
    const text = lines.join("\n");
    expect(lines.length).to.equal(2);
    expect(text).not.to.include(signerKey.slice(2));
    expect(text).not.to.include("sEcReTaPiKeY1234567890");
    expect(text).to.include("eth-mainnet.example.io");
    expect(text).to.include("[REDACTED]");
  });

  it("masks unregistered key-shaped values but keeps hashes named as such", async () => {
    const stray = Wallet.createRandom().privateKey;
    const txHash = "0x" + "ab".repeat(32);
    const { logger, lines } = captureLogger(new Redactor());
    logger.info("sent", { txHash, evidenceHash: txHash, note: `oops ${stray}` });
    await new Promise((r) => setImmediate(r));
    const record = JSON.parse(lines[0]);
    expect(record.txHash).to.equal(txHash);
    expect(record.evidenceHash).to.equal(txHash);
    expect(record.note).to.equal("oops [REDACTED_KEY]");
  });

  it("keeps an RPC URL's host and drops its path, query and credentials", () => {
    expect(redactUrl("https://user:pw@rpc.example.org/v3/0123456789abcdef?x=1")).to.equal("https://rpc.example.org/[REDACTED]");
    expect(redactUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
  });

  it("serialises bigints instead of throwing", async () => {
    const { logger, lines } = captureLogger(new Redactor());
    logger.info("value", { amount: 10n ** 30n });
    await new Promise((r) => setImmediate(r));
    expect(JSON.parse(lines[0]).amount).to.equal("1000000000000000000000000000000");
  });
});

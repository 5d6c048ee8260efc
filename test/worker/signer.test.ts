import { expect } from "chai";
import { Wallet, hexlify, randomBytes, recoverAddress } from "ethers";
import { createDigestSigner } from "../../packages/worker/src/signer.js";

describe("worker digest signer", () => {
  it("libsecp256k1 and ethers' signer give the same bytes, recoverable to the worker", () => {
    const wallet = Wallet.createRandom();
    const native = createDigestSigner(wallet.privateKey);
    const noble = createDigestSigner(wallet.privateKey, "noble");
    expect(native.backend).to.equal("libsecp256k1");
    for (let i = 0; i < 50; i++) {
      const digest = hexlify(randomBytes(32));
      const signature = native.sign(digest);
      expect(signature).to.equal(noble.sign(digest));
      expect(signature).to.equal(wallet.signingKey.sign(digest).serialized);
      expect(recoverAddress(digest, signature)).to.equal(wallet.address);
    }
  });
});

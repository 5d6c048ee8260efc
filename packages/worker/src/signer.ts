import { createRequire } from "node:module";
import { SigningKey } from "ethers";

/** Signs 32-byte digests (EIP-712 results and failure reports) with the worker's key. */
export interface DigestSigner {
  /** 65-byte r ‖ s ‖ v signature, 0x-prefixed, v in {27, 28}, s in the lower half. */
  sign(digest: string): string;
  backend: "libsecp256k1" | "noble";
}

interface NativeSecp256k1 {
  ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
}

function loadNative(): NativeSecp256k1 | undefined {
  try {
    // The `secp256k1` package ships prebuilt libsecp256k1 binaries; `bindings` is the native half
    // alone (its JS fallback is slower than ethers' own signer, so that is not wanted).
    return createRequire(import.meta.url)("secp256k1/bindings") as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

/**
 * libsecp256k1 when its prebuilt binary loads (about 40 µs a signature on the benchmark machine),
 * ethers' pure-JS signer otherwise (about 430 µs). Both are RFC 6979 deterministic with low s, so
 * they produce the same bytes; test/worker/signer.test.ts holds them to it.
 */
export function createDigestSigner(
  privateKey: string,
  prefer: DigestSigner["backend"] = "libsecp256k1",
): DigestSigner {
  const native = prefer === "libsecp256k1" ? loadNative() : undefined;
  if (native) {
    const key = Buffer.from(privateKey.slice(2), "hex");
    return {
      backend: "libsecp256k1",
      sign(digest) {
        const { signature, recid } = native.ecdsaSign(Buffer.from(digest.slice(2), "hex"), key);
        return `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}`;
      },
    };
  }
  const signingKey = new SigningKey(privateKey);
  return { backend: "noble", sign: (digest) => signingKey.sign(digest).serialized };
}

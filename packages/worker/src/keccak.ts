import sha3 from "js-sha3";

/**
 * keccak256 of 0x-prefixed hex, 0x-prefixed. js-sha3 hashes about twice as fast as the keccak
 * ethers bundles, which matters for the 100 KB batch transactions the worker signs at rate.
 */
export function keccakHex(hex: string): string {
  return `0x${sha3.keccak256(Buffer.from(hex.slice(2), "hex"))}`;
}

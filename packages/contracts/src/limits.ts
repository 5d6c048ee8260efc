/**
 * The largest encoded input tensor (bytes) a request may carry: the one statement of the limit
 * off-chain. `ModelRegistry.MAX_INPUT_BYTES` refuses to register a model whose input is longer
 * (`InputTooLarge`), so no request to the hub can carry more, and the SDK refuses such an input
 * before sending (`InputTooLargeError`); a test checks that the two numbers agree.
 *
 * Why this number (measured by `scripts/input-limit.ts`, written to `reports/input-limit.json`):
 * - It stays far inside one transaction. `requestInference` with a 65,535-byte input of non-zero
 *   bytes uses about 2.7 million gas, bound by the EIP-7623 calldata floor (40 gas a non-zero
 *   byte): a sixth of the EIP-7825 cap (`TRANSACTION_GAS_CAP`). The cap itself would allow about
 *   418,000 bytes of non-zero input, but no more than that whatever the bytes.
 * - It stays inside what public mempools relay: geth refuses a transaction above 128 KiB
 *   ("oversized data"), so about 130,000 bytes is the hard ceiling on public networks.
 * - It is what the registry's packed model record holds (16 bits, in the slot the hub reads for
 *   every request): a larger limit would cost every request a second storage read.
 */
export const MAX_INPUT_BYTES = 65_535;

/** EIP-7825: no transaction may use more gas than this, whatever the block gas limit. */
export const TRANSACTION_GAS_CAP = 16_777_216;

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

/** EIP-7623: a transaction pays at least this much gas for each non-zero calldata byte. */
export const CALLDATA_FLOOR_GAS_PER_BYTE = 40;

/**
 * The largest encoded output tensor a result can carry and still settle: one result must fit in
 * one transaction under `TRANSACTION_GAS_CAP`, and a worker refuses to send what cannot
 * (packages/worker/src/limits.ts, `resultGasFloor`). Each output byte costs at least 40 gas, the
 * EIP-7623 calldata floor for a non-zero byte, which is more than its 16 gas of calldata and 8 of
 * log data (the hub logs it in ResultSubmitted). With 21,000 for the transaction and 1 KiB of
 * calldata for the request, signature and offsets at the same price, this is where that floor
 * reaches the cap. A model whose output is larger can never be answered: every request would
 * be refunded, so registration refuses it.
 */
export const MAX_RESULT_OUTPUT_BYTES = Math.floor(
  (TRANSACTION_GAS_CAP - 21_000 - CALLDATA_FLOOR_GAS_PER_BYTE * 1024) / CALLDATA_FLOOR_GAS_PER_BYTE,
);

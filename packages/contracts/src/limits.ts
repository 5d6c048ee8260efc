/**
 * The largest encoded output tensor a result can carry and still settle: one result must fit in
 * one transaction under EIP-7825's cap of 2^24 gas, and a worker refuses to send what cannot
 * (packages/worker/src/limits.ts, `resultGasFloor`). At the least, each output byte costs 16 gas
 * of calldata (non-zero), 8 of LOG data (the hub logs it in ResultSubmitted) and memory gas;
 * with 21,000 for the transaction, 30,000 for the hub's work and 1 KiB of calldata for the
 * request, signature and offsets, 659,137 bytes is where that floor reaches the cap. A model
 * whose output is larger can never be answered: every request would be refunded.
 */
export const MAX_RESULT_OUTPUT_BYTES = 659_137;

/**
 * Recursive-length-prefix encoding on hex strings (no "0x"), for the worker's own transaction
 * signing: its batch transactions carry ~100 KB of calldata, and going through bytes arrays and
 * back, as general encoders do, cost more than the hashing.
 */
export type RlpItem = string | RlpItem[];

function lengthPrefix(length: number, offset: number): string {
  if (length < 56) return (offset + length).toString(16).padStart(2, "0");
  let hex = length.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return (offset + 55 + hex.length / 2).toString(16) + hex;
}

export function encodeRlp(item: RlpItem): string {
  if (Array.isArray(item)) {
    const body = item.map(encodeRlp).join("");
    return lengthPrefix(body.length / 2, 0xc0) + body;
  }
  if (item.length === 2 && parseInt(item, 16) < 0x80) return item;
  return lengthPrefix(item.length / 2, 0x80) + item;
}

/** A quantity as RLP wants it: big-endian, no leading zero bytes, zero as the empty string. */
export function quantity(value: bigint | number): string {
  if (value === 0 || value === 0n) return "";
  const hex = value.toString(16);
  return hex.length % 2 ? `0${hex}` : hex;
}

import protobuf from "protobufjs";

/**
 * Decodes a protobuf message by walking its reflected schema, without protobufjs's generated
 * decoders. Those are compiled at first use with `new Function`, which a page whose
 * Content-Security-Policy has no `'unsafe-eval'` refuses (the explorer's page, which decodes a ZK
 * model's ONNX file to re-run its circuit). One decoder for Node and the page alike.
 *
 * Gives what `type.toObject(type.decode(bytes), { defaults: false })` gives: only the fields
 * present, under their schema names; nested messages as objects, repeated fields as arrays
 * (packed or not); enums as numbers; 64-bit integers as protobufjs gives them (`Long`); bytes as
 * Uint8Array. Unknown fields are skipped. Map fields are not supported (ONNX has none here).
 *
 * @throws RangeError or Error (protobufjs's) when the bytes are not such a message.
 */
export function decodeMessage(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  const reader = protobuf.Reader.create(bytes);
  return readMessage(type, reader, reader.len, 0);
}

type Reader = protobuf.Reader;
type Long = ReturnType<Reader["int64"]>;

/** How to read one value of each scalar type, and a packed array of it (numeric types only). */
const SCALARS: Record<
  string,
  { one: (reader: Reader) => unknown; packed?: (reader: Reader, into: never[]) => unknown[] }
> = {
  double: { one: (r) => r.double(), packed: (r, into: number[]) => r.doubles(into) },
  float: { one: (r) => r.float(), packed: (r, into: number[]) => r.floats(into) },
  int32: { one: (r) => r.int32(), packed: (r, into: number[]) => r.int32s(into) },
  uint32: { one: (r) => r.uint32(), packed: (r, into: number[]) => r.uint32s(into) },
  sint32: { one: (r) => r.sint32(), packed: (r, into: number[]) => r.sint32s(into) },
  fixed32: { one: (r) => r.fixed32(), packed: (r, into: number[]) => r.fixed32s(into) },
  sfixed32: { one: (r) => r.sfixed32(), packed: (r, into: number[]) => r.sfixed32s(into) },
  int64: { one: (r) => r.int64(), packed: (r, into: Long[]) => r.int64s(into) },
  uint64: { one: (r) => r.uint64(), packed: (r, into: Long[]) => r.uint64s(into) },
  sint64: { one: (r) => r.sint64(), packed: (r, into: Long[]) => r.sint64s(into) },
  fixed64: { one: (r) => r.fixed64(), packed: (r, into: Long[]) => r.fixed64s(into) },
  sfixed64: { one: (r) => r.sfixed64(), packed: (r, into: Long[]) => r.sfixed64s(into) },
  bool: { one: (r) => r.bool(), packed: (r, into: boolean[]) => r.bools(into) },
  string: { one: (r) => r.string() },
  bytes: { one: (r) => r.bytes() },
};

/** Protobuf's wire type of length-delimited values (messages, strings, bytes, packed arrays). */
const LENGTH_DELIMITED = 2;

function readMessage(
  type: protobuf.Type,
  reader: protobuf.Reader,
  end: number,
  depth: number,
): Record<string, unknown> {
  if (depth > protobuf.Reader.recursionLimit) throw new Error("max depth exceeded");
  const message: Record<string, unknown> = {};
  while (reader.pos < end) {
    const tag = reader.tag();
    const wireType = tag & 7;
    const field = type.fieldsById[tag >>> 3];
    if (field === undefined) {
      reader.skipType(wireType, depth, tag >>> 3);
      continue;
    }
    if (field.map) throw new Error(`map field ${field.name} is not supported`);
    const resolved = field.resolve().resolvedType;
    if (resolved instanceof protobuf.Type) {
      const nestedEnd = reader.size() + reader.pos;
      if (nestedEnd > end) throw new RangeError("index out of range");
      store(message, field, readMessage(resolved, reader, nestedEnd, depth + 1));
      continue;
    }
    const scalar = resolved instanceof protobuf.Enum ? SCALARS.int32 : SCALARS[field.type];
    if (scalar === undefined) throw new Error(`field ${field.name} has unknown type ${field.type}`);
    if (field.repeated && wireType === LENGTH_DELIMITED && scalar.packed !== undefined) {
      message[field.name] = scalar.packed(reader, (message[field.name] ?? []) as never[]);
    } else {
      store(message, field, scalar.one(reader));
    }
  }
  if (reader.pos !== end) throw new RangeError("index out of range");
  return message;
}

function store(message: Record<string, unknown>, field: protobuf.Field, value: unknown): void {
  if (field.repeated) ((message[field.name] ??= []) as unknown[]).push(value);
  else message[field.name] = value;
}

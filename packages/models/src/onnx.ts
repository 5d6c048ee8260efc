import protobuf from "protobufjs";
import { decodeMessage } from "./wire.js";

/**
 * Reads and writes the small part of ONNX that Verity's models use: float32 graph inputs and
 * outputs (with fixed or symbolic dimensions), float32 weights (plus int64 shape constants for
 * Reshape), nodes with int, float, string, list and tensor attributes (a Constant's `value`).
 *
 * The schema below is a subset of onnx/onnx.proto (proto2), with the upstream field numbers, so
 * the bytes are ordinary ONNX that onnxruntime and any other ONNX tool read. It is parsed from a
 * string at import: no .proto file is read at run time.
 */
const ONNX_SUBSET_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11;
    TYPE_PROTO = 13; FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
    SPARSE_TENSORS = 12; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5; INT32 = 6; INT64 = 7;
    STRING = 8; BOOL = 9; FLOAT16 = 10; DOUBLE = 11; UINT32 = 12; UINT64 = 13; COMPLEX64 = 14;
    COMPLEX128 = 15; BFLOAT16 = 16;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  optional int32 data_location = 14;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}
`;

const root = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType("onnx.ModelProto");

/** ONNX `TensorProto.DataType` values this module reads or writes. */
const DataType = { FLOAT: 1, INT64: 7 } as const;
// prettier-ignore
const DATA_TYPE_NAMES: Record<number, string> = {
  0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
  7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
  14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
};

/** ONNX `AttributeProto.AttributeType` values this module reads or writes. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** The IR version and default-domain opset of every model this module writes. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET_VERSION = 13;

/** A graph weight: a float32 tensor in row-major order. */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array;
  /**
   * Set to `"int64"` for an integer constant such as Reshape's target shape: `data` then holds
   * its values (exact, as they are small integers) and it is written as an ONNX INT64 tensor.
   * Absent for float32 weights.
   */
  dataType?: "int64";
}

/** A tensor held by a node attribute (a Constant's `value`): read and written as initializers are. */
export type OnnxTensor = OnnxInitializer;

/**
 * A node attribute's value: lists become `number[]`, byte strings UTF-8 strings, a TENSOR an
 * `OnnxTensor`.
 */
export type OnnxAttribute = number | number[] | string | OnnxTensor;

/** One operator application. */
export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

/**
 * One dimension of a graph input or output: a fixed size, or a string for a dimension the graph
 * leaves open, its `dim_param` name (e.g. `"batch"`), or `""` when it has neither name nor size.
 * Exporters leave the batch dimension open; registration then needs the shape given explicitly.
 */
export type OnnxDim = number | string;

/** A graph input or output: a float32 tensor. */
export interface OnnxValueInfo {
  name: string;
  shape: OnnxDim[];
}

/** A whole model, flattened: what Verity needs from a ModelProto and its GraphProto. */
export interface OnnxGraph {
  name: string;
  irVersion: number;
  opsetVersion: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxInitializer[];
  nodes: OnnxNode[];
}

/** Bytes that are not an ONNX model this module can read, named with what to change. */
export class OnnxFormatError extends Error {
  override name = "OnnxFormatError";
}

/**
 * Attributes that ONNX declares as FLOAT(S), by operator. A number alone cannot say whether
 * `alpha: 1` is an int or a float, and onnxruntime rejects an attribute of the wrong type, so
 * these names are written as floats whatever their value. Attributes of other operators are
 * written as INT(S) when every value is an integer, FLOAT(S) otherwise.
 */
const FLOAT_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  Gemm: ["alpha", "beta"],
  LeakyRelu: ["alpha"],
  Elu: ["alpha"],
  Selu: ["alpha", "gamma"],
  HardSigmoid: ["alpha", "beta"],
  BatchNormalization: ["epsilon", "momentum"],
  LayerNormalization: ["epsilon"],
  InstanceNormalization: ["epsilon"],
  Dropout: ["ratio"],
};

/** A decoded int64: protobufjs gives a `Long` (or a number when it fits). */
type Int64 = number | { toNumber(): number };

interface TensorMessage {
  dims?: Int64[];
  data_type?: number;
  float_data?: number[];
  int64_data?: Int64[];
  raw_data?: Uint8Array;
  name?: string;
  data_location?: number;
}

interface AttributeMessage {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorMessage;
  floats?: number[];
  ints?: Int64[];
}

interface ValueInfoMessage {
  name?: string;
  type?: {
    tensor_type?: {
      elem_type?: number;
      shape?: { dim?: { dim_value?: Int64; dim_param?: string }[] };
    };
  };
}

interface ModelMessage {
  ir_version?: Int64;
  opset_import?: { domain?: string; version?: Int64 }[];
  graph?: {
    name?: string;
    node?: {
      input?: string[];
      output?: string[];
      name?: string;
      op_type?: string;
      domain?: string;
      attribute?: AttributeMessage[];
    }[];
    initializer?: TensorMessage[];
    input?: ValueInfoMessage[];
    output?: ValueInfoMessage[];
  };
}

/**
 * Encodes a graph as an ONNX ModelProto. The same graph always gives the same bytes, so a
 * model's id (the SHA-256 of its bytes) is reproducible.
 *
 * @example
 * const bytes = encodeOnnx({ name: "m", irVersion: 8, opsetVersion: 13, inputs, outputs, initializers, nodes });
 */
export function encodeOnnx(graph: OnnxGraph): Uint8Array {
  const message = ModelProto.fromObject({
    ir_version: graph.irVersion,
    opset_import: [{ domain: "", version: graph.opsetVersion }],
    producer_name: "@verity/models",
    graph: {
      name: graph.name,
      node: graph.nodes.map(encodeNode),
      initializer: graph.initializers.map(encodeInitializer),
      input: graph.inputs.map(encodeValueInfo),
      output: graph.outputs.map(encodeValueInfo),
    },
  });
  return ModelProto.encode(message).finish();
}

function encodeNode(node: OnnxNode) {
  const floatNames = FLOAT_ATTRIBUTES[node.opType] ?? [];
  return {
    input: node.inputs,
    output: node.outputs,
    name: node.name,
    op_type: node.opType,
    attribute: Object.entries(node.attributes).map(([name, value]) =>
      encodeAttribute(name, value, floatNames.includes(name)),
    ),
  };
}

function encodeAttribute(name: string, value: OnnxAttribute, isFloat: boolean) {
  if (typeof value === "object" && !Array.isArray(value)) {
    return { name, type: AttributeType.TENSOR, t: encodeInitializer(value) };
  }
  if (typeof value === "string") {
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (Array.isArray(value)) {
    return isFloat || !value.every(Number.isInteger)
      ? { name, type: AttributeType.FLOATS, floats: value }
      : { name, type: AttributeType.INTS, ints: value };
  }
  return isFloat || !Number.isInteger(value)
    ? { name, type: AttributeType.FLOAT, f: value }
    : { name, type: AttributeType.INT, i: value };
}

function encodeInitializer(initializer: OnnxInitializer) {
  if (initializer.dataType === "int64") {
    return {
      name: initializer.name,
      dims: initializer.dims,
      data_type: DataType.INT64,
      int64_data: Array.from(initializer.data),
    };
  }
  // raw_data is little-endian by the ONNX spec; Float32Array is host-endian, so copy through a
  // DataView rather than reinterpreting the buffer.
  const raw = new Uint8Array(initializer.data.length * 4);
  const view = new DataView(raw.buffer);
  initializer.data.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return {
    name: initializer.name,
    dims: initializer.dims,
    data_type: DataType.FLOAT,
    raw_data: raw,
  };
}

function encodeValueInfo(info: OnnxValueInfo) {
  return {
    name: info.name,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: { dim: info.shape.map(encodeDim) },
      },
    },
  };
}

function encodeDim(dim: OnnxDim) {
  if (typeof dim === "number") return { dim_value: dim };
  return dim === "" ? {} : { dim_param: dim };
}

/**
 * Decodes ONNX bytes into a graph.
 *
 * Graph inputs that are also initializers (older exporters list weights as inputs) are weights,
 * not inputs, and are left out of `inputs`.
 *
 * Symbolic and unknown dimensions are reported as strings (see `OnnxDim`); `staticShape` turns a
 * shape into numbers or says which dimension is open.
 *
 * @throws OnnxFormatError when the bytes are not protobuf, hold no graph, or use what this module
 * does not read: a non-float32 input or output, a tensor (initializer or attribute) that is not
 * float32 or int64, or weights stored outside the file.
 */
export function decodeOnnx(bytes: Uint8Array): OnnxGraph {
  let message: ModelMessage;
  try {
    message = decodeMessage(ModelProto, bytes) as ModelMessage;
  } catch (error) {
    throw new OnnxFormatError(
      `not an ONNX model: the ${bytes.length} bytes do not parse as a protobuf ModelProto ` +
        `(${(error as Error).message}); pass the .onnx file's bytes`,
    );
  }
  const graph = message.graph;
  if (graph === undefined) {
    throw new OnnxFormatError(
      "not an ONNX model: the ModelProto has no graph (field 7); export the model with its graph",
    );
  }
  const initializers = (graph.initializer ?? []).map((tensor) =>
    decodeTensor(tensor, `initializer "${tensor.name ?? ""}"`),
  );
  const initializerNames = new Set(initializers.map((initializer) => initializer.name));
  return {
    name: graph.name ?? "",
    irVersion: toNumber(message.ir_version ?? 0),
    opsetVersion: defaultOpsetVersion(message),
    inputs: (graph.input ?? [])
      .filter((input) => !initializerNames.has(input.name ?? ""))
      .map((input) => decodeValueInfo(input, "input")),
    outputs: (graph.output ?? []).map((output) => decodeValueInfo(output, "output")),
    initializers,
    nodes: (graph.node ?? []).map((node) => ({
      opType: node.op_type ?? "",
      name: node.name ?? "",
      inputs: node.input ?? [],
      outputs: node.output ?? [],
      attributes: Object.fromEntries(
        (node.attribute ?? []).map((attribute) => [
          attribute.name ?? "",
          decodeAttribute(attribute, node.name ?? ""),
        ]),
      ),
    })),
  };
}

function defaultOpsetVersion(message: ModelMessage): number {
  const opset = (message.opset_import ?? []).find(
    (entry) => (entry.domain ?? "") === "" || entry.domain === "ai.onnx",
  );
  if (opset === undefined) {
    throw new OnnxFormatError(
      'the model imports no default-domain (ai.onnx) opset; add an opset_import with domain ""',
    );
  }
  return toNumber(opset.version ?? 0);
}

function decodeValueInfo(info: ValueInfoMessage, role: "input" | "output"): OnnxValueInfo {
  const name = info.name ?? "";
  const tensor = info.type?.tensor_type;
  if (tensor === undefined || tensor.elem_type !== DataType.FLOAT) {
    const found = tensor === undefined ? "not a tensor" : dataTypeName(tensor.elem_type);
    throw new OnnxFormatError(
      `graph ${role} "${name}" is ${found}; Verity models take and give float32 tensors ` +
        "(quantisation to fixed point happens outside the model)",
    );
  }
  const dims = tensor.shape?.dim;
  if (dims === undefined) {
    throw new OnnxFormatError(
      `graph ${role} "${name}" has no shape; declare its static dimensions, e.g. [1, 16]`,
    );
  }
  const shape = dims.map((dim, axis): OnnxDim => {
    if (dim.dim_value === undefined) return dim.dim_param ?? "";
    const value = toNumber(dim.dim_value);
    if (value < 1) {
      throw new OnnxFormatError(
        `graph ${role} "${name}" has dimension ${value} at axis ${axis}; dimensions must be >= 1`,
      );
    }
    return value;
  });
  return { name, shape };
}

/**
 * Names the first open dimension of a graph input or output, or undefined when every dimension
 * is fixed.
 */
export function openDimension(info: OnnxValueInfo): { axis: number; name: string } | undefined {
  const axis = info.shape.findIndex((dim) => typeof dim === "string");
  return axis === -1 ? undefined : { axis, name: info.shape[axis] as string };
}

/**
 * A graph input's or output's shape as numbers, for code that needs every dimension fixed.
 *
 * @throws OnnxFormatError naming the first symbolic or unknown dimension.
 */
export function staticShape(info: OnnxValueInfo): number[] {
  const open = openDimension(info);
  if (open !== undefined) {
    const what = open.name === "" ? "an unknown" : `a symbolic ("${open.name}")`;
    throw new OnnxFormatError(
      `"${info.name}" has ${what} dimension at axis ${open.axis} of ` +
        `[${info.shape.map(String).join(", ")}]; export with fixed dimensions (e.g. batch 1)`,
    );
  }
  return info.shape as number[];
}

/**
 * An initializer or a TENSOR attribute: float32 or int64, from raw_data or the typed fields.
 * `what` names it in errors (`initializer "w"`, `attribute "value" of node "c"`).
 */
function decodeTensor(tensor: TensorMessage, what: string): OnnxInitializer {
  const name = tensor.name ?? "";
  const dims = (tensor.dims ?? []).map(toNumber);
  const elements = dims.reduce((product, dim) => product * dim, 1);
  if (tensor.data_location === 1) {
    throw new OnnxFormatError(
      `${what} keeps its data in an external file; save the model with all ` +
        "weights inside the .onnx file",
    );
  }
  if (tensor.data_type === DataType.FLOAT) {
    const data = decodeFloatData(tensor, what);
    checkElementCount(what, dims, elements, data.length);
    return { name, dims, data };
  }
  if (tensor.data_type === DataType.INT64) {
    const data = decodeInt64Data(tensor, what);
    checkElementCount(what, dims, elements, data.length);
    return { name, dims, data, dataType: "int64" };
  }
  throw new OnnxFormatError(
    `${what} has unsupported dtype ${dataTypeName(tensor.data_type)}; ` +
      "weights must be FLOAT (float32), shape constants INT64",
  );
}

function decodeFloatData(tensor: TensorMessage, what: string): Float32Array {
  const raw = tensor.raw_data;
  if (raw !== undefined && raw.length > 0) {
    if (raw.length % 4 !== 0) {
      throw new OnnxFormatError(
        `${what} has ${raw.length} bytes of raw_data, not a multiple of 4 (float32)`,
      );
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = new Float32Array(raw.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
    return data;
  }
  return Float32Array.from(tensor.float_data ?? []);
}

function decodeInt64Data(tensor: TensorMessage, what: string): Float32Array {
  const raw = tensor.raw_data;
  const values: number[] = [];
  if (raw !== undefined && raw.length > 0) {
    if (raw.length % 8 !== 0) {
      throw new OnnxFormatError(
        `${what} has ${raw.length} bytes of raw_data, not a multiple of 8 (int64)`,
      );
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < raw.length / 8; i++) values.push(Number(view.getBigInt64(i * 8, true)));
  } else {
    values.push(...(tensor.int64_data ?? []).map(toNumber));
  }
  const data = Float32Array.from(values);
  values.forEach((value, index) => {
    if (data[index] !== value) {
      throw new OnnxFormatError(
        `int64 ${what} holds ${value} at index ${index}, too large to read exactly; ` +
          "only small integer constants (shapes, axes) are supported",
      );
    }
  });
  return data;
}

function checkElementCount(what: string, dims: number[], expected: number, actual: number): void {
  if (expected !== actual) {
    throw new OnnxFormatError(
      `${what} of dims [${dims.join(", ")}] needs ${expected} values, has ${actual}`,
    );
  }
}

function decodeAttribute(attribute: AttributeMessage, nodeName: string): OnnxAttribute {
  switch (attribute.type) {
    case AttributeType.FLOAT:
      return attribute.f ?? 0;
    case AttributeType.INT:
      return toNumber(attribute.i ?? 0);
    case AttributeType.STRING:
      return new TextDecoder().decode(attribute.s ?? new Uint8Array());
    case AttributeType.FLOATS:
      return attribute.floats ?? [];
    case AttributeType.INTS:
      return (attribute.ints ?? []).map(toNumber);
    case AttributeType.TENSOR:
      return decodeTensor(
        attribute.t ?? {},
        `attribute "${attribute.name ?? ""}" of node "${nodeName}"`,
      );
    default:
      throw new OnnxFormatError(
        `attribute "${attribute.name}" has type ${attribute.type ?? "UNDEFINED"}; only FLOAT, ` +
          "INT, STRING, TENSOR, FLOATS and INTS attributes are supported",
      );
  }
}

function dataTypeName(dataType: number | undefined): string {
  return `${DATA_TYPE_NAMES[dataType ?? 0] ?? "unknown"} (${dataType ?? 0})`;
}

function toNumber(value: Int64): number {
  return typeof value === "number" ? value : value.toNumber();
}

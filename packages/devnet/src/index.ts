export * from "./devnet.js";
export * from "./node.js";
export * from "./workerProcess.js";
export * from "./faults.js";

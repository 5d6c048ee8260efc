/** Minimal typings for the untyped JavaScript packages @verity/zk uses. */

declare module "snarkjs" {
  type FileLike = string | { type: "mem"; data?: Uint8Array };
  interface Logger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }
  interface Curve {
    terminate(): Promise<void>;
  }
  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve>;
  };
  export const powersOfTau: {
    newAccumulator(
      curve: Curve,
      power: number,
      fileName: string,
      logger?: Logger,
    ): Promise<unknown>;
    contribute(
      oldPtau: string,
      newPtau: string,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: Logger): Promise<void>;
  };
  export const r1cs: {
    info(
      fileName: string,
      logger?: Logger,
    ): Promise<{ nConstraints: number; nPubInputs: number; nOutputs: number; nVars: number }>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: FileLike, logger?: Logger): Promise<unknown>;
    contribute(
      oldZkey: FileLike,
      newZkey: FileLike,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<unknown>;
    exportVerificationKey(zkey: FileLike, logger?: Logger): Promise<unknown>;
  };
  export const groth16: {
    prove(
      zkey: FileLike,
      witness: FileLike,
      logger?: Logger,
      options?: { singleThread?: boolean },
    ): Promise<{
      proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[] };
      publicSignals: string[];
    }>;
    verify(key: unknown, publicSignals: string[], proof: unknown): Promise<boolean>;
  };
  export const wtns: {
    calculate(input: unknown, wasm: FileLike, wtns: FileLike): Promise<void>;
    exportJson(wtns: FileLike): Promise<bigint[]>;
  };
}

declare module "circomlibjs" {
  interface PoseidonField {
    toObject(element: Uint8Array): bigint;
  }
  interface Poseidon {
    (inputs: bigint[], initState?: bigint, nOut?: number): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<Poseidon>;
}

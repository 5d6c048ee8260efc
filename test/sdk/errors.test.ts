import { expect } from "chai";
import { Interface, ZeroAddress, type ErrorFragment, type ParamType } from "ethers";
import {
  IInferenceHub__factory,
  IModelRegistry__factory,
  IWorkerRegistry__factory,
  InferenceHub__factory,
} from "@verity/contracts";
import {
  BaseError,
  ContractRevertError,
  InsufficientFundsError,
  RpcUnreachableError,
  UnknownError,
  decodeRevertData,
  explainRevert,
  toVerityError,
} from "@verity/sdk";

/** A plausible value for each ABI type, to encode sample revert data. */
function sample(param: ParamType): unknown {
  if (param.baseType === "address") return "0x00000000000000000000000000000000000000aa";
  if (param.baseType === "bytes32") return `0x${"ab".repeat(32)}`;
  if (param.baseType === "string") return "text";
  if (param.baseType === "bool") return true;
  if (param.baseType.startsWith("uint") || param.baseType.startsWith("int")) return 1n;
  if (param.baseType === "bytes") return "0x01";
  throw new Error(`no sample for ${param.type}`);
}

function revertData(iface: Interface, fragment: ErrorFragment): string {
  return iface.encodeErrorResult(fragment, fragment.inputs.map(sample));
}

describe("sdk errors: decoding the contracts' custom errors", () => {
  const documented = [IInferenceHub__factory, IModelRegistry__factory, IWorkerRegistry__factory];

  it("explains every custom error the interfaces declare, with its arguments", () => {
    for (const factory of documented) {
      const iface = new Interface(factory.abi);
      iface.forEachError((fragment) => {
        const data = revertData(iface, fragment);
        const decoded = decodeRevertData(data);
        expect(decoded?.errorName, fragment.name).to.equal(fragment.name);
        const explained = explainRevert(data);
        expect(explained.message, fragment.name).not.to.match(/reverted with/);
        expect(explained.signature, fragment.name).to.match(new RegExp(`^${fragment.name}\\(`));
      });
    }
  });

  it("decodes errors of inherited code (OpenZeppelin) and plain string reverts", () => {
    const hub = new Interface(InferenceHub__factory.abi);
    const data = hub.encodeErrorResult("AccessControlUnauthorizedAccount", [
      ZeroAddress,
      `0x${"00".repeat(32)}`,
    ]);
    expect(explainRevert(data).message).to.match(/lacks role/);
    const text = new Interface(["error Error(string)"]).encodeErrorResult("Error", ["no way"]);
    expect(explainRevert(text).message).to.equal("Reverted: no way");
    expect(explainRevert("0xdeadbeef").message).to.match(/does not know/);
  });

  it("turns an ethers call exception into a ContractRevertError that says what to do", () => {
    const hub = new Interface(InferenceHub__factory.abi);
    const data = hub.encodeErrorResult("InsufficientPayment", [1n, 10n ** 18n]);
    // The shape ethers gives a CALL_EXCEPTION: the data sits on the error or on a nested one.
    const ethersError = Object.assign(new Error("execution reverted (unknown custom error)"), {
      code: "CALL_EXCEPTION",
      info: { error: { data } },
    });
    const error = toVerityError(ethersError, { action: "requestInference" });
    expect(error).to.be.instanceOf(ContractRevertError);
    const revert = error as ContractRevertError;
    expect(revert.errorName).to.equal("InsufficientPayment");
    expect(revert.shortMessage).to.equal(
      "Paid 0.000000000000000001 ETH, but the request costs at least 1.0 ETH.",
    );
    expect(revert.fix).to.match(/quote/);
    expect(revert.message).to.match(/What to do: /);
    expect(revert.message).to.match(/Reverted with: InsufficientPayment\(1, 1000000000000000000\)/);
    expect(revert.walk()).to.equal(ethersError);
  });

  it("classifies an unreachable node, missing funds and the rest", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    const unreachable = toVerityError(refused, { action: "x", rpcUrl: "http://127.0.0.1:1" });
    expect(unreachable).to.be.instanceOf(RpcUnreachableError);
    expect(unreachable.shortMessage).to.equal("No Ethereum node answers at http://127.0.0.1:1.");
    expect(unreachable.fix).to.match(/verity devnet/);
    const poor = toVerityError(Object.assign(new Error("x"), { code: "INSUFFICIENT_FUNDS" }), {
      action: "x",
      account: "0xabc",
    });
    expect(poor).to.be.instanceOf(InsufficientFundsError);
    expect(poor.shortMessage).to.match(/0xabc/);
    const other = toVerityError(new Error("boom"), { action: "getResult" });
    expect(other).to.be.instanceOf(UnknownError);
    expect(other.message).to.match(/getResult failed\.[\s\S]*Details: boom/);
    const same = new BaseError("already explained");
    expect(toVerityError(same, { action: "x" })).to.equal(same);
  });
});

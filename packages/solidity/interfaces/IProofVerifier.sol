// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Request} from "../types/Inference.sol";

/// @title IProofVerifier
/// @notice Checks the proof of a non-ATTESTED result for the hub. A mode plugs in by deploying a
/// verifier and registering it with `InferenceHub.setProofVerifier`; the hub's storage does not change.
interface IProofVerifier {
    /// @notice Reverts unless `proof` shows that `outputHash` is the model's output on the request's
    /// input. Returns the account to be paid the worker reward. A result it accepts is final at once.
    function verify(
        Request calldata request,
        bytes32 outputHash,
        bytes calldata proof
    ) external view returns (address worker);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {Request} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only stand-in for a ZK or quorum verifier: accepts a proof that is exactly
/// `abi.encode(requestId, outputHash, prover)` and pays `prover`.
contract MockProofVerifier is IProofVerifier {
    error BadProof();

    function verify(
        Request calldata request,
        bytes32 outputHash,
        bytes calldata proof
    ) external pure returns (address worker) {
        (uint256 requestId, bytes32 provenOutputHash, address prover) = abi.decode(
            proof,
            (uint256, bytes32, address)
        );
        if (requestId != request.id || provenOutputHash != outputHash) revert BadProof();
        return prover;
    }
}

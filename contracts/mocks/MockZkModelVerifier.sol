// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IZkModelVerifier} from "../zk/IZkModelVerifier.sol";
import {ZkModelVerifier} from "../zk/ZkModelVerifier.sol";

/// @dev Test-only model verifier: accepts exactly one call, fixed by `expect`, so tests can check
/// what `ZkProofVerifier` passes on (proof, commitment, derived challenge, input, output).
contract MockZkModelVerifier is IZkModelVerifier {
    bytes32 public expected;

    function expect(
        uint256[8] calldata proof,
        uint256 commitment,
        uint256 challenge,
        bytes calldata input,
        bytes calldata output
    ) external {
        expected = keccak256(abi.encode(proof, commitment, challenge, input, output));
    }

    function verifyInference(
        uint256[8] calldata proof,
        uint256 commitment,
        uint256 challenge,
        bytes calldata input,
        bytes calldata output
    ) external view returns (bool) {
        return keccak256(abi.encode(proof, commitment, challenge, input, output)) == expected;
    }

    function binding() external pure returns (Binding) {
        return Binding.Commitment;
    }

    function verifyingKeyHash() external pure returns (bytes32) {
        return keccak256("mock key");
    }

    function circuitHash() external pure returns (bytes32) {
        return keccak256("mock circuit");
    }

    function insecureSetup() external pure returns (bool) {
        return true;
    }
}

/// @dev Test-only `ZkModelVerifier`s for a [1, 2] → [1, 1] model, to test the shared logic
/// (tensor checks, signals, the key's length) without a real setup. Their key is all zeros: every
/// point at infinity, so the pairing check holds for any proof whose A or B is zero. A degenerate
/// key that no setup produces; with a real A and B the check fails.
abstract contract TestZkModelVerifierBase is ZkModelVerifier {
    /// @dev alpha, beta, gamma, delta, then IC0..IC3 (three public signals either way).
    uint256 internal constant KEY_WORDS = 14 + 2 * 4;

    function circuitHash() external pure returns (bytes32) {
        return keccak256("test circuit");
    }

    function insecureSetup() external pure returns (bool) {
        return true;
    }

    function _inputLayout() internal pure override returns (bytes memory, uint256) {
        return (hex"0101020000000100000002", 2);
    }

    function _outputLayout() internal pure override returns (bytes memory, uint256) {
        return (hex"0101020000000100000001", 1);
    }
}

contract TestCommitmentZkModelVerifier is TestZkModelVerifierBase {
    function binding() public pure override returns (Binding) {
        return Binding.Commitment;
    }

    function _verifyingKey() internal pure override returns (bytes memory) {
        return new bytes(32 * KEY_WORDS);
    }
}

contract TestPublicZkModelVerifier is TestZkModelVerifierBase {
    function binding() public pure override returns (Binding) {
        return Binding.Public;
    }

    function _verifyingKey() internal pure override returns (bytes memory) {
        return new bytes(32 * KEY_WORDS);
    }
}

/// @dev A key one IC point short.
contract TestShortKeyZkModelVerifier is TestZkModelVerifierBase {
    function binding() public pure override returns (Binding) {
        return Binding.Commitment;
    }

    function _verifyingKey() internal pure override returns (bytes memory) {
        return new bytes(32 * (KEY_WORDS - 2));
    }
}

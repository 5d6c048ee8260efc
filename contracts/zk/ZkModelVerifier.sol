// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkModelVerifier} from "./IZkModelVerifier.sol";

/// @title ZkModelVerifier
/// @notice The logic every per-model verifier shares: checks the tensors against the model's
/// shapes, builds the public signals for the model's binding, and runs the Groth16 pairing check
/// on the EVM's alt_bn128 precompiles. A generated contract (see `verifierSource` in packages/zk)
/// supplies only constants: the verifying key, the tensor layouts, the circuit hash.
abstract contract ZkModelVerifier is IZkModelVerifier {
    /// @dev The BN254 scalar field: circuit values and public signals live here.
    uint256 internal constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev The BN254 base field: point coordinates live here.
    uint256 internal constant BASE_FIELD =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @dev alpha (2 words) + beta, gamma, delta (4 words each).
    uint256 private constant VK_FIXED_WORDS = 14;

    /// @notice The generated verifying key does not hold one IC point per public signal, plus one.
    error InvalidVerifyingKey(uint256 keyBytes, uint256 publicSignals);

    /// @inheritdoc IZkModelVerifier
    function verifyInference(
        uint256[8] calldata proof,
        uint256 commitment,
        uint256 challenge,
        bytes calldata input,
        bytes calldata output
    ) external view returns (bool) {
        (bytes memory inputHeader, uint256 inputCount) = _inputLayout();
        if (!_isTensor(input, inputHeader, inputCount)) return false;
        (bytes memory outputHeader, uint256 outputCount) = _outputLayout();
        if (!_isTensor(output, outputHeader, outputCount)) return false;
        uint256[] memory signals =
            binding() == Binding.Commitment
                ? _commitmentSignals(
                    commitment,
                    challenge,
                    input[inputHeader.length:],
                    output[outputHeader.length:]
                )
                : _elementSignals(input[inputHeader.length:], output[outputHeader.length:]);
        return signals.length != 0 && _verifyGroth16(proof, signals);
    }

    /// @inheritdoc IZkModelVerifier
    function verifyingKeyHash() external pure returns (bytes32) {
        return keccak256(_verifyingKey());
    }

    /// @inheritdoc IZkModelVerifier
    function binding() public pure virtual returns (Binding);

    /// @dev alpha1 (x, y), beta2, gamma2, delta2 (x1, x0, y1, y0 each: the EVM's G2 order), then
    /// IC0..ICn (x, y), as 32-byte words.
    function _verifyingKey() internal pure virtual returns (bytes memory);

    /// @dev The canonical tensor header of the model's input shape, and its element count.
    function _inputLayout() internal pure virtual returns (bytes memory header, uint256 count);

    /// @dev The canonical tensor header of the model's output shape, and its element count.
    function _outputLayout() internal pure virtual returns (bytes memory header, uint256 count);

    function _isTensor(
        bytes calldata tensor,
        bytes memory header,
        uint256 count
    ) private pure returns (bool) {
        return
            tensor.length == header.length + 4 * count &&
            keccak256(tensor[:header.length]) == keccak256(header);
    }

    /// @dev (c, v, r) with v = Σ (e_k + 2^31)·r^k over e = input ‖ output; empty when c or r is
    /// outside the field.
    function _commitmentSignals(
        uint256 commitment,
        uint256 challenge,
        bytes calldata inputData,
        bytes calldata outputData
    ) private pure returns (uint256[] memory signals) {
        if (commitment >= SNARK_SCALAR_FIELD || challenge >= SNARK_SCALAR_FIELD) return signals;
        signals = new uint256[](3);
        signals[0] = commitment;
        signals[1] = _horner(inputData, _horner(outputData, 0, challenge), challenge);
        signals[2] = challenge;
    }

    /// @dev Every output element, then every input element, as a field element.
    function _elementSignals(
        bytes calldata inputData,
        bytes calldata outputData
    ) private pure returns (uint256[] memory signals) {
        signals = new uint256[]((outputData.length + inputData.length) / 4);
        _writeElements(signals, 0, outputData);
        _writeElements(signals, outputData.length / 4, inputData);
    }

    /// @dev Horner's rule over big-endian int32 elements, each offset by 2^31 (which maps int32
    /// onto [0, 2^32): flip the sign bit), from the last element to the first. Eight elements
    /// per 32-byte word, then the rest one by one. Each step adds the element without reducing:
    /// mulmod(x, r, p) < p and an element < 2^32 cannot overflow 256 bits, and the next mulmod
    /// (or the final mod) reduces the sum.
    function _horner(
        bytes calldata data,
        uint256 accumulator,
        uint256 challenge
    ) private pure returns (uint256 result) {
        result = accumulator;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let p := SNARK_SCALAR_FIELD
            let lane := 0xffffffff
            let start := data.offset
            let cursor := add(start, data.length)
            for {} gt(sub(cursor, start), 31) {} {
                cursor := sub(cursor, 32)
                let word := xor(
                    calldataload(cursor),
                    0x8000000080000000800000008000000080000000800000008000000080000000
                )
                result := add(mulmod(result, challenge, p), and(word, lane))
                result := add(mulmod(result, challenge, p), and(shr(32, word), lane))
                result := add(mulmod(result, challenge, p), and(shr(64, word), lane))
                result := add(mulmod(result, challenge, p), and(shr(96, word), lane))
                result := add(mulmod(result, challenge, p), and(shr(128, word), lane))
                result := add(mulmod(result, challenge, p), and(shr(160, word), lane))
                result := add(mulmod(result, challenge, p), and(shr(192, word), lane))
                result := add(mulmod(result, challenge, p), shr(224, word))
            }
            for {} gt(cursor, start) {} {
                cursor := sub(cursor, 4)
                let element := xor(shr(224, calldataload(cursor)), 0x80000000)
                result := add(mulmod(result, challenge, p), element)
            }
            result := mod(result, p)
        }
    }

    /// @dev Writes each big-endian int32 of `data` as a field element (x, or p − |x| when negative).
    function _writeElements(
        uint256[] memory signals,
        uint256 at,
        bytes calldata data
    ) private pure {
        uint256 count = data.length / 4;
        for (uint256 i; i < count; ++i) {
            int256 value = int32(uint32(bytes4(data[4 * i:4 * i + 4])));
            signals[at + i] = value < 0 ? SNARK_SCALAR_FIELD - uint256(-value) : uint256(value);
        }
    }

    /// @dev e(−A, B) · e(alpha, beta) · e(vk_x, gamma) · e(C, delta) == 1, with
    /// vk_x = IC0 + Σ signals[i]·IC(i+1).
    function _verifyGroth16(
        uint256[8] calldata proof,
        uint256[] memory signals
    ) internal view returns (bool ok) {
        bytes memory key = _verifyingKey();
        uint256 count = signals.length;
        if (key.length != 32 * (VK_FIXED_WORDS + 2 * (count + 1))) {
            revert InvalidVerifyingKey(key.length, count);
        }
        for (uint256 i; i < count; ++i) {
            if (signals[i] >= SNARK_SCALAR_FIELD) return false;
        }
        // The precompile calls, as in snarkjs's own verifier template.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := 1
            // Scratch past the free memory pointer: vk_x at [0, 64), ecMul input at [64, 160),
            // the pairing input at [160, 928).
            let scratch := mload(0x40)
            let words := add(key, 32)
            let ic := add(words, 448)
            mstore(scratch, mload(ic))
            mstore(add(scratch, 32), mload(add(ic, 32)))
            let signal := add(signals, 32)
            for {
                let i := 0
            } lt(i, count) {
                i := add(i, 1)
            } {
                let point := add(ic, mul(64, add(i, 1)))
                mstore(add(scratch, 64), mload(point))
                mstore(add(scratch, 96), mload(add(point, 32)))
                mstore(add(scratch, 128), mload(add(signal, mul(32, i))))
                ok := and(ok, staticcall(gas(), 0x07, add(scratch, 64), 96, add(scratch, 64), 64))
                ok := and(ok, staticcall(gas(), 0x06, scratch, 128, scratch, 64))
            }
            let pairing := add(scratch, 160)
            // −A: negate y (zero stays zero).
            mstore(pairing, calldataload(proof))
            mstore(add(pairing, 32), mod(sub(BASE_FIELD, calldataload(add(proof, 32))), BASE_FIELD))
            calldatacopy(add(pairing, 64), add(proof, 64), 128)
            mcopy(add(pairing, 192), words, 192)
            mstore(add(pairing, 384), mload(scratch))
            mstore(add(pairing, 416), mload(add(scratch, 32)))
            mcopy(add(pairing, 448), add(words, 192), 128)
            calldatacopy(add(pairing, 576), add(proof, 192), 64)
            mcopy(add(pairing, 640), add(words, 320), 128)
            ok := and(ok, staticcall(gas(), 0x08, pairing, 768, pairing, 32))
            ok := and(ok, mload(pairing))
        }
    }
}

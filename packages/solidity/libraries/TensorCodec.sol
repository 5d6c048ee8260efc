// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title TensorCodec
/// @notice The canonical encoding of a fixed-point tensor, shared by the contracts, SDK and worker:
///
///   byte 0          version, 0x01
///   byte 1          dtype, 0x01 = int32
///   byte 2          rank r (1..8)
///   bytes 3..3+4r   dimensions, uint32 big-endian each
///   then            the elements in row-major order, int32 big-endian (two's complement)
///
/// Each element is a real value x as round(x * 10^decimals) at the model's declared decimals.
library TensorCodec {
    uint8 internal constant VERSION = 1;
    uint8 internal constant DTYPE_INT32 = 1;
    uint256 internal constant HEADER_BYTES = 3;
    uint256 internal constant BYTES_PER_ELEMENT = 4;
    uint256 internal constant MAX_RANK = 8;
    /// @dev Keeps every length within uint32 and far beyond what calldata can carry.
    uint256 internal constant MAX_ELEMENTS = 1 << 24;

    /// @notice The encoded length of a tensor of `shape`, or zero when the shape is invalid
    /// (no dimensions, more than `MAX_RANK`, a zero dimension, or more than `MAX_ELEMENTS` elements).
    function encodedLength(uint32[] calldata shape) internal pure returns (uint256) {
        uint256 rank = shape.length;
        if (rank == 0 || rank > MAX_RANK) return 0;
        uint256 elements = 1;
        for (uint256 i; i < rank; ++i) {
            uint256 dim = shape[i];
            // Checking after each factor keeps `elements` below 2^24 * 2^32: no overflow.
            elements *= dim;
            if (dim == 0 || elements > MAX_ELEMENTS) return 0;
        }
        return HEADER_BYTES + BYTES_PER_ELEMENT * (rank + elements);
    }

    /// @notice True when `tensor` is in the canonical encoding: version, dtype, a rank of 1 to
    /// `MAX_RANK`, no zero dimension, and exactly as many element bytes as its dimensions call for.
    function isCanonical(bytes calldata tensor) internal pure returns (bool) {
        if (
            tensor.length < HEADER_BYTES ||
            uint8(tensor[0]) != VERSION ||
            uint8(tensor[1]) != DTYPE_INT32
        ) {
            return false;
        }
        uint256 rank = uint8(tensor[2]);
        if (rank == 0 || rank > MAX_RANK) return false;
        uint256 dataStart = HEADER_BYTES + BYTES_PER_ELEMENT * rank;
        if (tensor.length < dataStart) return false;
        uint256 elements = 1;
        for (uint256 i; i < rank; ++i) {
            uint256 dim = _dimension(tensor, i);
            // Checking after each factor keeps `elements` below 2^24 * 2^32: no overflow.
            elements *= dim;
            if (dim == 0 || elements > MAX_ELEMENTS) return false;
        }
        return tensor.length == dataStart + BYTES_PER_ELEMENT * elements;
    }

    /// @notice True when the header of a canonical `tensor` names exactly `shape`.
    function hasShape(bytes calldata tensor, uint32[] storage shape) internal view returns (bool) {
        uint256 rank = uint8(tensor[2]);
        if (rank != shape.length) return false;
        for (uint256 i; i < rank; ++i) {
            if (_dimension(tensor, i) != shape[i]) return false;
        }
        return true;
    }

    function _dimension(bytes calldata tensor, uint256 i) private pure returns (uint256) {
        uint256 offset = HEADER_BYTES + BYTES_PER_ELEMENT * i;
        return uint32(bytes4(tensor[offset:offset + BYTES_PER_ELEMENT]));
    }

    /// @notice The tensor's bytes are not in the canonical encoding, or `index` is out of range.
    error MalformedTensor();

    /// @notice Reads element `index` (row-major) of an encoded tensor, checking the header and length.
    function elementAt(bytes calldata tensor, uint256 index) internal pure returns (int32 value) {
        bool ok;
        (ok, value) = tryElementAt(tensor, index);
        if (!ok) revert MalformedTensor();
    }

    /// @notice Like `elementAt`, but returns `ok = false` instead of reverting, for callbacks that
    /// must not revert on a malformed output.
    function tryElementAt(
        bytes calldata tensor,
        uint256 index
    ) internal pure returns (bool ok, int32 value) {
        if (
            tensor.length < HEADER_BYTES ||
            uint8(tensor[0]) != VERSION ||
            uint8(tensor[1]) != DTYPE_INT32
        ) {
            return (false, 0);
        }
        uint256 dataStart = HEADER_BYTES + BYTES_PER_ELEMENT * uint8(tensor[2]);
        if (tensor.length < dataStart || (tensor.length - dataStart) % BYTES_PER_ELEMENT != 0) {
            return (false, 0);
        }
        if (index >= (tensor.length - dataStart) / BYTES_PER_ELEMENT) return (false, 0);
        uint256 offset = dataStart + BYTES_PER_ELEMENT * index;
        return (true, int32(uint32(bytes4(tensor[offset:offset + BYTES_PER_ELEMENT]))));
    }
}

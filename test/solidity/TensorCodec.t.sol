// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test} from "./utils/Test.sol";
import {TensorCodec} from "@verity/solidity/libraries/TensorCodec.sol";

/// @dev Exposes the library's internal functions with calldata arguments, as the contracts use them.
contract TensorCodecHarness {
    function encodedLength(uint32[] calldata shape) external pure returns (uint256) {
        return TensorCodec.encodedLength(shape);
    }

    function elementAt(bytes calldata tensor, uint256 index) external pure returns (int32) {
        return TensorCodec.elementAt(tensor, index);
    }
}

contract TensorCodecTest is Test {
    TensorCodecHarness internal codec;

    function setUp() public {
        codec = new TensorCodecHarness();
    }

    // ---------------------------------------------------------------- encodedLength

    function test_encodedLength_matricesAndVectors() public view {
        assertEq(codec.encodedLength(_dims2(1, 16)), 3 + 4 * (2 + 16), "[1, 16]");
        assertEq(codec.encodedLength(_dims1(1)), 3 + 4 * (1 + 1), "[1]");
        uint32[] memory cube = new uint32[](3);
        (cube[0], cube[1], cube[2]) = (2, 3, 4);
        assertEq(codec.encodedLength(cube), 3 + 4 * (3 + 24), "[2, 3, 4]");
    }

    function test_encodedLength_maxRankAndMaxElements() public view {
        uint32[] memory rank8 = new uint32[](8);
        for (uint256 i; i < 8; ++i) rank8[i] = 2;
        assertEq(codec.encodedLength(rank8), 3 + 4 * (8 + 256), "rank 8");
        assertEq(codec.encodedLength(_dims2(4096, 4096)), 3 + 4 * (2 + (1 << 24)), "2^24 elements");
    }

    function test_encodedLength_zeroForInvalidShapes() public view {
        assertEq(codec.encodedLength(new uint32[](0)), 0, "rank 0");
        uint32[] memory rank9 = new uint32[](9);
        for (uint256 i; i < 9; ++i) rank9[i] = 1;
        assertEq(codec.encodedLength(rank9), 0, "rank 9");
        assertEq(codec.encodedLength(_dims2(3, 0)), 0, "zero dimension");
        assertEq(codec.encodedLength(_dims2(0, 3)), 0, "leading zero dimension");
        assertEq(codec.encodedLength(_dims2(4097, 4096)), 0, "more than 2^24 elements");
        assertEq(
            codec.encodedLength(_dims2(type(uint32).max, type(uint32).max)),
            0,
            "huge dimensions"
        );
    }

    // ---------------------------------------------------------------- elementAt

    function test_elementAt_readsNegativeAndPositiveValues() public view {
        bytes memory tensor = abi.encodePacked(
            _header(5),
            int32(-1),
            type(int32).max,
            type(int32).min,
            int32(0),
            int32(-123_456)
        );
        assertEq(int256(codec.elementAt(tensor, 0)), -1, "-1");
        assertEq(int256(codec.elementAt(tensor, 1)), int256(type(int32).max), "max");
        assertEq(int256(codec.elementAt(tensor, 2)), int256(type(int32).min), "min");
        assertEq(int256(codec.elementAt(tensor, 3)), 0, "zero");
        assertEq(int256(codec.elementAt(tensor, 4)), -123_456, "negative");
    }

    function test_elementAt_readsRank2RowMajor() public view {
        // shape [2, 2]: rows (1, 2), (3, 4)
        bytes memory tensor = abi.encodePacked(
            uint8(1),
            uint8(1),
            uint8(2),
            uint32(2),
            uint32(2),
            int32(1),
            int32(2),
            int32(3),
            int32(-4)
        );
        assertEq(int256(codec.elementAt(tensor, 1)), 2, "[0][1]");
        assertEq(int256(codec.elementAt(tensor, 3)), -4, "[1][1]");
    }

    function test_elementAt_RevertWhen_MalformedTensor_badVersion() public {
        bytes memory tensor = abi.encodePacked(uint8(2), uint8(1), uint8(1), uint32(1), int32(7));
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt(tensor, 0);
    }

    function test_elementAt_RevertWhen_MalformedTensor_badDtype() public {
        bytes memory tensor = abi.encodePacked(uint8(1), uint8(2), uint8(1), uint32(1), int32(7));
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt(tensor, 0);
    }

    function test_elementAt_RevertWhen_MalformedTensor_shorterThanHeader() public {
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt(hex"0101", 0);
    }

    function test_elementAt_RevertWhen_MalformedTensor_empty() public {
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt("", 0);
    }

    function test_elementAt_RevertWhen_MalformedTensor_truncatedDimensions() public {
        // rank 2 declares 8 bytes of dimensions; only 4 follow
        bytes memory tensor = abi.encodePacked(uint8(1), uint8(1), uint8(2), uint32(1));
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt(tensor, 0);
    }

    function test_elementAt_RevertWhen_MalformedTensor_truncatedElement() public {
        bytes memory tensor = abi.encodePacked(_header(2), int32(5), hex"0000ff");
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt(tensor, 0);
    }

    function test_elementAt_RevertWhen_MalformedTensor_indexOutOfRange() public {
        bytes memory tensor = abi.encodePacked(_header(2), int32(5), int32(6));
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt(tensor, 2);
    }

    function test_elementAt_RevertWhen_MalformedTensor_noElements() public {
        vm.expectRevert(TensorCodec.MalformedTensor.selector);
        codec.elementAt(_header(0), 0);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_elementAt_roundTrip(int32[] memory values, uint256 indexSeed) public {
        vm.assume(values.length > 0);
        uint256 n = values.length > 64 ? 64 : values.length;
        bytes memory tensor = _header(uint32(n));
        // abi.encodePacked pads array elements to 32 bytes, so append them one at a time.
        for (uint256 i; i < n; ++i) tensor = abi.encodePacked(tensor, values[i]);
        assertEq(tensor.length, 3 + 4 * (1 + n), "encoded length");

        for (uint256 i; i < n; ++i) {
            assertEq(int256(codec.elementAt(tensor, i)), int256(values[i]), "round trip");
        }
        uint256 index = bound(indexSeed, n, type(uint256).max);
        try codec.elementAt(tensor, index) {
            fail("index past the end must revert");
        } catch (bytes memory reason) {
            assertEq(
                reason,
                abi.encodeWithSelector(TensorCodec.MalformedTensor.selector),
                "out of range reason"
            );
        }
    }

    function testFuzz_encodedLength_matchesFormula(uint32 a, uint32 b, uint32 c) public view {
        a = uint32(bound(a, 1, 300));
        b = uint32(bound(b, 1, 300));
        c = uint32(bound(c, 1, 300));
        uint32[] memory shape = new uint32[](3);
        (shape[0], shape[1], shape[2]) = (a, b, c);
        uint256 elements = uint256(a) * b * c;
        uint256 expected = elements > (1 << 24) ? 0 : 3 + 4 * (3 + elements);
        assertEq(codec.encodedLength(shape), expected, "encoded length");
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Header of a rank-1 int32 tensor of `n` elements.
    function _header(uint32 n) private pure returns (bytes memory) {
        return abi.encodePacked(uint8(1), uint8(1), uint8(1), n);
    }

    function _dims1(uint32 a) private pure returns (uint32[] memory shape) {
        shape = new uint32[](1);
        shape[0] = a;
    }

    function _dims2(uint32 a, uint32 b) private pure returns (uint32[] memory shape) {
        shape = new uint32[](2);
        (shape[0], shape[1]) = (a, b);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Challenge, Request, RequestStatus, Submission} from "@verity/solidity/types/Inference.sol";

/// @title RequestCommitment
/// @notice The one storage slot the hub keeps per request: a hash of what the next step must be
/// shown again (the request; then its submission; then its challenge), with the `RequestStatus` in
/// its low byte. The hub writes it; the quorum coordinator and the dispute resolver check structs
/// against it with these same functions, so the three can never disagree on the hashing.
library RequestCommitment {
    bytes32 internal constant STATUS_MASK = bytes32(uint256(0xff));

    function hashRequest(Request calldata request) internal pure returns (bytes32) {
        return keccak256(abi.encode(request));
    }

    function hashSubmission(
        bytes32 requestHash,
        Submission memory submission
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(requestHash, submission));
    }

    function hashChallenge(
        bytes32 submissionHash,
        Challenge memory challengeRecord
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(submissionHash, challengeRecord));
    }

    /// @notice The commitment of `hash` in `status`: the status replaces the hash's low byte, and
    /// 248 bits of hash still bind the data.
    function tag(bytes32 hash, RequestStatus status) internal pure returns (bytes32) {
        return (hash & ~STATUS_MASK) | bytes32(uint256(status));
    }

    function statusOf(bytes32 commitment) internal pure returns (RequestStatus) {
        return RequestStatus(uint8(uint256(commitment)));
    }
}

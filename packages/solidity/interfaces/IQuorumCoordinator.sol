// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProofMode, Request, RequestStatus} from "../types/Inference.sol";
import {IProofVerifier} from "./IProofVerifier.sol";
import {IQuorumRounds} from "./IQuorumRounds.sol";

/// @title IQuorumCoordinator
/// @notice `ProofMode.QUORUM`: a request is answered by a commit-reveal round of independent
/// workers (see `IQuorumRounds`) and settles in the hub the moment `quorum` reveals agree. The
/// coordinator is the hub's `IProofVerifier` for the mode and the account the hub pays: it keeps
/// the worker reward and shares it, when the round closes, among the members who revealed the
/// settled output, together with the stake slashed from members who revealed another one.
///
/// Flow: any eligible worker `commit`s (the first commit opens the round with the model's default
/// quorum, unless the requester `open`ed it with one of its choosing); once every seat is taken or
/// the commit phase is over, members `reveal`; the reveal that makes `quorum` agree settles the
/// request (the consumer's callback gets that output, once); the last reveal, or `close` after the
/// reveal phase, pays and slashes. A round that cannot decide by the request's deadline leaves the
/// request to be refunded by the hub (`refund`).
interface IQuorumCoordinator is IQuorumRounds, IProofVerifier {
    /// @notice One slot: 1 + 4 + 4 + 12 bytes.
    struct QuorumConfig {
        /// The quorum of a request whose requester did not choose one, and the least a requester
        /// may choose, for models whose owner set no limits.
        uint8 defaultQuorum;
        /// How long after a round opens commits are taken (less if the deadline is near).
        uint32 commitWindowSeconds;
        /// How long reveals are taken after the commit phase.
        uint32 revealWindowSeconds;
        /// Taken from each member who revealed an output other than the settled one.
        uint96 slashAmountWei;
    }

    /// @notice A model's quorum range, set by its owner. `minQuorum` is also the default.
    struct QuorumLimits {
        uint8 minQuorum;
        uint8 maxQuorum;
    }

    /// @notice New round parameters, for rounds opened from now on.
    event ConfigUpdated(QuorumConfig config);
    /// @notice The model's owner bounded the quorum sizes its requesters may choose.
    event QuorumLimitsSet(bytes32 indexed modelId, uint8 minQuorum, uint8 maxQuorum);

    /// @notice Only QUORUM requests have rounds.
    error NotQuorumRequest(uint256 requestId, ProofMode mode);
    /// @notice The request is not pending in the hub (or the struct given is not the one it holds).
    error RequestNotPending(uint256 requestId, RequestStatus status);
    /// @notice A re-supplied request differs from what the hub committed to.
    error RequestMismatch(uint256 requestId);
    /// @notice Only the requester chooses a quorum other than the model's default.
    error OnlyRequesterChoosesQuorum(uint256 requestId, address caller);
    /// @notice The requested quorum lies outside the model's limits.
    error QuorumOutOfRange(uint8 quorum, uint8 minQuorum, uint8 maxQuorum);
    /// @notice Limits must satisfy MIN_QUORUM <= min <= max <= MAX_QUORUM.
    error InvalidQuorumLimits(uint8 minQuorum, uint8 maxQuorum);
    /// @notice Only the model's owner sets its quorum limits.
    error NotModelOwner(bytes32 modelId, address caller);
    /// @notice `verify` is called by the hub only while this coordinator settles the request.
    error NotSettling(uint256 requestId);

    /// @notice Opens the round of a QUORUM request. The requester may pass a quorum within the
    /// model's limits (`quorumLimits`); anyone else passes 0 for the default. A consumer contract
    /// does this in the transaction that makes the request; an EOA right after it, before the
    /// first worker's commit opens the round with the default.
    function open(Request calldata request, uint8 quorum) external;

    /// @notice Takes a seat with `commitmentOf(request.id, msg.sender, keccak256(output), salt)`,
    /// opening the round with the default quorum if nobody has. Only eligible workers.
    function commit(Request calldata request, bytes32 commitment) external;

    /// @notice Reveals the committed output. The reveal that makes `quorum` agree settles the
    /// request in the hub with this output and is credited the callback fee; the last reveal
    /// closes the round.
    function reveal(Request calldata request, bytes calldata output, bytes32 salt) external;

    /// @notice Sets a model's quorum range for rounds opened later. Only the model's owner.
    function setQuorumLimits(bytes32 modelId, uint8 minQuorum, uint8 maxQuorum) external;

    /// @notice The range requesters may choose from for `modelId`; the default is `minQuorum`.
    function quorumLimits(bytes32 modelId) external view returns (QuorumLimits memory);

    /// @notice The parameters rounds are opened with.
    function config() external view returns (QuorumConfig memory);
}

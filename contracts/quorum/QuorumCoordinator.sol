// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {IQuorumCoordinator} from "@verity/solidity/interfaces/IQuorumCoordinator.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {RequestCommitment} from "../libraries/RequestCommitment.sol";
import {ProofMode, Request, RequestStatus} from "@verity/solidity/types/Inference.sol";
import {QuorumRounds} from "./QuorumRounds.sol";

/// @title QuorumCoordinator
/// @notice The hub's verifier for `ProofMode.QUORUM`. See `IQuorumCoordinator`.
/// @dev The hub settles a QUORUM request only through `verify`, which accepts only while this
/// contract is itself inside `hub.submitResult` for that request (a transient flag), with the
/// output its round decided. So a request settles once, with the decided output, and the reward
/// the hub credits here is always matched by the round that earned it.
contract QuorumCoordinator is IQuorumCoordinator, QuorumRounds, AccessControl {
    /// @notice A quorum of one is a single worker's word: use ATTESTED with a challenge window.
    uint8 public constant MIN_QUORUM = 2;

    IModelRegistry public immutable MODEL_REGISTRY;

    QuorumConfig private _config;
    mapping(bytes32 modelId => QuorumLimits) private _limits;
    uint256 private transient _settlingRequestId;

    constructor(
        address admin,
        IInferenceHub hub,
        IModelRegistry modelRegistry,
        IWorkerRegistry workerRegistry,
        QuorumConfig memory config_
    ) QuorumRounds(hub, workerRegistry) {
        MODEL_REGISTRY = modelRegistry;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setConfig(config_);
    }

    // ---------------------------------------------------------------- rounds

    /// @inheritdoc IQuorumCoordinator
    function open(Request calldata request, uint8 quorum) external {
        _openRound(request, quorum);
    }

    /// @inheritdoc IQuorumCoordinator
    function commit(Request calldata request, bytes32 commitment) external {
        if (_roundStatus(request.id) == RoundStatus.None) _openRound(request, 0);
        _commit(request.id, msg.sender, commitment);
    }

    /// @inheritdoc IQuorumCoordinator
    function reveal(Request calldata request, bytes calldata output, bytes32 salt) external {
        (bool decidedNow, bool everyoneRevealed) = _reveal(request.id, msg.sender, output, salt);
        if (decidedNow) _settle(request, output);
        if (everyoneRevealed) _closeIfNotClosed(request.id);
    }

    /// @inheritdoc IProofVerifier
    function verify(
        Request calldata request,
        bytes32 outputHash,
        bytes calldata
    ) external view returns (address worker) {
        if (_settlingRequestId != request.id || _decidedOutputHash(request.id) != outputHash) {
            revert NotSettling(request.id);
        }
        // The coordinator is paid and shares the reward when the round closes.
        return address(this);
    }

    // ---------------------------------------------------------------- configuration

    /// @inheritdoc IQuorumCoordinator
    function setQuorumLimits(bytes32 modelId, uint8 minQuorum, uint8 maxQuorum) external {
        address owner = MODEL_REGISTRY.getRequestTerms(modelId).owner;
        if (msg.sender != owner) revert NotModelOwner(modelId, msg.sender);
        if (minQuorum < MIN_QUORUM || minQuorum > maxQuorum || maxQuorum > MAX_QUORUM) {
            revert InvalidQuorumLimits(minQuorum, maxQuorum);
        }
        _limits[modelId] = QuorumLimits(minQuorum, maxQuorum);
        emit QuorumLimitsSet(modelId, minQuorum, maxQuorum);
    }

    function setConfig(QuorumConfig calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setConfig(config_);
    }

    /// @inheritdoc IQuorumCoordinator
    function quorumLimits(bytes32 modelId) public view returns (QuorumLimits memory limits) {
        limits = _limits[modelId];
        if (limits.minQuorum == 0) limits = QuorumLimits(_config.defaultQuorum, MAX_QUORUM);
    }

    /// @inheritdoc IQuorumCoordinator
    function config() external view returns (QuorumConfig memory) {
        return _config;
    }

    // ---------------------------------------------------------------- internals

    function _openRound(Request calldata request, uint8 quorum) private {
        if (request.proofMode != ProofMode.QUORUM) {
            revert NotQuorumRequest(request.id, request.proofMode);
        }
        _requirePending(request);
        QuorumLimits memory limits = quorumLimits(request.modelId);
        if (quorum == 0) {
            quorum = limits.minQuorum;
        } else if (msg.sender != request.requester) {
            revert OnlyRequesterChoosesQuorum(request.id, msg.sender);
        } else if (quorum < limits.minQuorum || quorum > limits.maxQuorum) {
            revert QuorumOutOfRange(quorum, limits.minQuorum, limits.maxQuorum);
        }

        QuorumConfig memory cfg = _config;
        // The whole reveal phase must fit before the deadline, when the hub stops taking results.
        uint256 commitEndsAt = block.timestamp + cfg.commitWindowSeconds;
        uint256 latestCommitEnd =
            request.deadline > cfg.revealWindowSeconds
                ? request.deadline - cfg.revealWindowSeconds
                : 0;
        if (commitEndsAt > latestCommitEnd) commitEndsAt = latestCommitEnd;
        if (commitEndsAt <= block.timestamp) revert RoundTooLate(request.id, request.deadline);
        // commitEndsAt <= deadline - revealWindow, so both fit in 64 bits.
        _open(
            request.id,
            quorum,
            uint64(commitEndsAt),
            uint64(commitEndsAt + cfg.revealWindowSeconds),
            0,
            address(0)
        );
    }

    /// @dev Settles the request in the hub with the decided output. The reward and the callback
    /// fee are booked first: the hub credits both before it calls the consumer, which may reenter.
    function _settle(Request calldata request, bytes calldata output) private {
        _addReward(request.id, request.workerRewardWei);
        // The hub pays the callback fee to its caller (this contract): it is the revealer's.
        if (request.callbackGasLimit != 0) _credit(msg.sender, request.callbackFeeWei);
        _settlingRequestId = request.id;
        HUB.submitResult(request, output, bytes32(0), "");
        _settlingRequestId = 0;
    }

    function _requirePending(Request calldata request) private view {
        bytes32 stored = HUB.requestCommitment(request.id);
        RequestStatus status = RequestCommitment.statusOf(stored);
        if (status != RequestStatus.Pending) revert RequestNotPending(request.id, status);
        bytes32 expected = RequestCommitment.tag(
            RequestCommitment.hashRequest(request),
            RequestStatus.Pending
        );
        if (stored != expected) revert RequestMismatch(request.id);
    }

    /// @dev The reveal that decides a round settles its request in the hub, which refuses it while
    /// paused: members kept from revealing by a pause during the reveal phase are not slashed for
    /// their silence.
    function _silenceExcused(uint64 commitEndsAt) internal view override returns (bool) {
        return HUB.paused() || HUB.unpausedAt() > commitEndsAt;
    }

    function _memberSlashWei() internal view override returns (uint256) {
        return _config.slashAmountWei;
    }

    function _setConfig(QuorumConfig memory config_) private {
        if (
            config_.defaultQuorum < MIN_QUORUM ||
            config_.defaultQuorum > MAX_QUORUM ||
            config_.commitWindowSeconds == 0 ||
            config_.revealWindowSeconds == 0
        ) {
            revert InvalidConfig();
        }
        _config = config_;
        emit ConfigUpdated(config_);
    }
}

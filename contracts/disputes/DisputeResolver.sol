// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IDisputeResolver} from "@verity/solidity/interfaces/IDisputeResolver.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {RequestCommitment} from "../libraries/RequestCommitment.sol";
import {QuorumRounds} from "../quorum/QuorumRounds.sol";
import {
    Challenge,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @title DisputeResolver
/// @notice Holds the hub's `DISPUTE_RESOLVER_ROLE` and decides challenges by ZK proof or by jury.
/// See `IDisputeResolver`.
/// @dev The hub checks every struct given to `resolveChallenge` against its commitment, so a
/// verdict reaches the hub only for the dispute it is about; `escalate` checks them itself because
/// it records the parties.
contract DisputeResolver is IDisputeResolver, QuorumRounds, AccessControl {
    IModelRegistry public immutable MODEL_REGISTRY;

    JuryConfig private _config;
    mapping(uint256 requestId => Parties) private _parties;

    constructor(
        address admin,
        IInferenceHub hub,
        IModelRegistry modelRegistry,
        IWorkerRegistry workerRegistry,
        JuryConfig memory config_
    ) QuorumRounds(hub, workerRegistry) {
        MODEL_REGISTRY = modelRegistry;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setConfig(config_);
    }

    // ---------------------------------------------------------------- ZK

    /// @inheritdoc IDisputeResolver
    function resolveWithProof(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bytes calldata proof
    ) external {
        // Only the verifier the request was made with decides it: one bound later (by a model owner
        // who challenged an honest result, say) has no say over requests made before it.
        if (request.zkVerifier == address(0)) revert NoZkVerifier(request.modelId);
        IProofVerifier zkVerifier = HUB.proofVerifier(ProofMode.ZK);
        if (address(zkVerifier) == address(0)) revert ZkModeUnavailable();
        bytes32 outputHash = keccak256(output);
        // Reverts unless the proof shows `output` is the model's output on the request's input.
        address prover = zkVerifier.verify(request, outputHash, proof);
        bool challengerWon = outputHash != submission.outputHash;
        emit DisputeResolvedByProof(request.id, prover, outputHash, challengerWon);
        _applyVerdict(request, submission, challengeRecord, output, challengerWon);
    }

    // ---------------------------------------------------------------- jury

    /// @inheritdoc IDisputeResolver
    function escalate(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord
    ) external payable {
        _requireChallenged(request, submission, challengeRecord);
        if (request.zkVerifier != address(0)) revert ZkProofRequired(request.modelId);
        JuryConfig memory cfg = _config;
        if (msg.value != cfg.jurorFeeWei) revert WrongJurorFee(msg.value, cfg.jurorFeeWei);
        uint256 expiresAt =
            uint256(challengeRecord.challengedAt) + HUB.disputeConfig().disputeTimeoutSeconds;
        uint256 commitEndsAt = block.timestamp + cfg.commitWindowSeconds;
        uint256 revealEndsAt = commitEndsAt + cfg.revealWindowSeconds;
        // The verdict must be able to land before anyone can expire the dispute.
        if (revealEndsAt >= expiresAt) revert RoundTooLate(request.id, uint64(expiresAt));

        _parties[request.id] = Parties(submission.worker, challengeRecord.challenger);
        // revealEndsAt < expiresAt < 2^64; the fee is a uint96 in the config.
        _open(
            request.id,
            cfg.jurySize,
            uint64(commitEndsAt),
            uint64(revealEndsAt),
            uint96(msg.value),
            msg.sender
        );
        emit DisputeEscalated(request.id, msg.sender, request, submission, challengeRecord);
    }

    /// @inheritdoc IDisputeResolver
    function commit(uint256 requestId, bytes32 commitment) external {
        _commit(requestId, msg.sender, commitment);
    }

    /// @inheritdoc IDisputeResolver
    function reveal(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bytes32 salt
    ) external {
        (bool decidedNow, bool everyoneRevealed) = _reveal(request.id, msg.sender, output, salt);
        if (decidedNow) {
            RequestStatus status = HUB.requestStatus(request.id);
            if (status == RequestStatus.Challenged) {
                bool challengerWon = keccak256(output) != submission.outputHash;
                emit DisputeResolvedByJury(request.id, keccak256(output), challengerWon);
                _applyVerdict(request, submission, challengeRecord, output, challengerWon);
            } else {
                emit VerdictNotApplied(request.id, status);
            }
        }
        if (everyoneRevealed) _closeIfNotClosed(request.id);
    }

    // ---------------------------------------------------------------- configuration

    function setConfig(JuryConfig calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setConfig(config_);
    }

    /// @inheritdoc IDisputeResolver
    function partiesOf(uint256 requestId) external view returns (Parties memory) {
        return _parties[requestId];
    }

    /// @inheritdoc IDisputeResolver
    function config() external view returns (JuryConfig memory) {
        return _config;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The hub slashes or settles, pays the winner and calls the consumer back; the callback
    /// fee it credits this contract as the caller is the sender's. Measured rather than read from
    /// the request: a disputed failure report ran its callback, and paid its fee, when it was made.
    function _applyVerdict(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bool challengerWon
    ) private {
        uint256 creditedBefore = HUB.balanceOf(address(this));
        HUB.resolveChallenge(
            request,
            submission,
            challengeRecord,
            challengerWon ? bytes("") : output,
            challengerWon
        );
        uint256 callbackFeeWei = HUB.balanceOf(address(this)) - creditedBefore;
        if (callbackFeeWei != 0) _credit(msg.sender, callbackFeeWei);
    }

    function _checkSeat(uint256 roundId, address worker) internal view override {
        super._checkSeat(roundId, worker);
        Parties storage parties = _parties[roundId];
        if (worker == parties.worker || worker == parties.challenger) {
            revert PartyCannotSit(roundId, worker);
        }
    }

    function _memberSlashWei() internal view override returns (uint256) {
        return _config.jurorSlashWei;
    }

    /// @dev Reverts unless the hub holds exactly this challenge, in the hub's own hashing.
    function _requireChallenged(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord
    ) private view {
        bytes32 stored = HUB.requestCommitment(request.id);
        RequestStatus status = RequestCommitment.statusOf(stored);
        if (status != RequestStatus.Challenged) revert RequestNotChallenged(request.id, status);
        bytes32 submissionHash = RequestCommitment.hashSubmission(
            RequestCommitment.hashRequest(request),
            submission
        );
        bytes32 expected = RequestCommitment.tag(
            RequestCommitment.hashChallenge(submissionHash, challengeRecord),
            RequestStatus.Challenged
        );
        if (stored != expected) revert RequestMismatch(request.id);
    }

    /// @dev A jury of one is a single worker's word. The fee must stay below the challenge bond
    /// (J < B), so a worker defending a right result nets B - J and a griefer pays for the jury.
    function _setConfig(JuryConfig memory config_) private {
        if (
            config_.jurySize < 2 ||
            config_.jurorFeeWei >= HUB.disputeConfig().challengeBondWei ||
            config_.jurySize > MAX_QUORUM ||
            config_.commitWindowSeconds == 0 ||
            config_.revealWindowSeconds == 0
        ) {
            revert InvalidConfig();
        }
        _config = config_;
        emit ConfigUpdated(config_);
    }
}

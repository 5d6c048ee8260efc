// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IInferenceConsumer} from "@verity/solidity/interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {ExactGasCall} from "@verity/solidity/libraries/ExactGasCall.sol";
import {RequestCommitment} from "./libraries/RequestCommitment.sol";
import {
    CallbackResult,
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @title InferenceHub
/// @notice Escrow and settlement for inference requests. See `IInferenceHub` and docs/protocol.md.
/// @dev Each request costs one storage slot: a commitment to its state whose low byte is the
/// `RequestStatus` and whose other 31 bytes are a hash of what settlement must be shown again
/// (the request; then the submission; then the challenge). No reentrancy guard: every function
/// that calls out (consumer callback, withdrawal) moves the request to its next status first, so a
/// reentrant call finds it no longer in the status it needs.
contract InferenceHub is IInferenceHub, AccessControl, EIP712 {
    using SafeCast for uint256;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant DISPUTE_RESOLVER_ROLE = keccak256("DISPUTE_RESOLVER_ROLE");

    bytes32 public constant RESULT_TYPEHASH = keccak256(
        "InferenceResult(uint256 requestId,bytes32 modelId,bytes32 inputHash,bytes32 outputHash,bytes32 environmentId)"
    );
    bytes32 public constant FAILURE_TYPEHASH = keccak256(
        "InferenceFailure(uint256 requestId,bytes32 modelId,bytes32 inputHash,uint8 reason,bytes32 environmentId)"
    );

    IModelRegistry public immutable MODEL_REGISTRY;
    IWorkerRegistry public immutable WORKER_REGISTRY;

    /// @inheritdoc IInferenceHub
    uint256 public constant CHALLENGER_SHARE_BPS = 5_000;
    /// @inheritdoc IInferenceHub
    uint32 public constant MAX_CALLBACK_GAS_LIMIT = 5_000_000;

    /// @dev What every request reads and writes besides its commitment, in one slot (8 + 18 + 1 +
    /// 5 bytes): earning the protocol fee costs no extra write and checking the pause no extra read.
    struct Ledger {
        uint64 nextRequestId;
        uint144 protocolFeesWei;
        bool paused;
        /// When the last pause ended (zero if none): every challenge window open during a pause
        /// lasts at least a full window after it.
        uint40 unpausedAt;
    }

    Config private _config;
    DisputeConfig private _disputeConfig;
    address private _treasury;
    Ledger private _ledger = Ledger({
        nextRequestId: 1,
        protocolFeesWei: 0,
        paused: false,
        unpausedAt: 0
    });
    mapping(uint256 requestId => bytes32 commitment) private _commitments;
    mapping(address account => uint256 balanceWei) private _balances;
    mapping(ProofMode mode => IProofVerifier verifier) private _verifiers;

    modifier whenNotPaused() {
        if (_ledger.paused) revert EnforcedPause();
        _;
    }

    constructor(
        address admin,
        IModelRegistry modelRegistry,
        IWorkerRegistry workerRegistry,
        address treasury_,
        Config memory config_,
        DisputeConfig memory disputeConfig_
    ) EIP712("Verity InferenceHub", "1") {
        if (admin == address(0) || treasury_ == address(0)) revert InvalidAddress();
        MODEL_REGISTRY = modelRegistry;
        WORKER_REGISTRY = workerRegistry;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _setTreasury(treasury_);
        _setDisputeConfig(disputeConfig_);
        _setConfig(config_);
    }

    /// @notice Accepts slashed stake from the worker registry, and nothing else.
    receive() external payable {
        if (msg.sender != address(WORKER_REGISTRY)) revert UnexpectedSender(msg.sender);
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IInferenceHub
    function requestInference(
        bytes32 modelId,
        bytes calldata input,
        ProofMode proofMode,
        address assignee,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) external payable whenNotPaused returns (uint256 requestId) {
        Request memory request = _newRequest(
            modelId,
            input,
            proofMode,
            assignee,
            callback,
            callbackGasLimit,
            deadline
        );
        requestId = request.id;
        // `request` is in memory here; every later step hashes it from calldata with `hashRequest`.
        _commitments[requestId] = RequestCommitment.tag(
            keccak256(abi.encode(request)),
            RequestStatus.Pending
        );
        emit InferenceRequested(requestId, modelId, msg.sender, request, input);
    }

    /// @inheritdoc IInferenceHub
    function quote(
        bytes32 modelId,
        uint32 callbackGasLimit
    ) external view returns (uint256 minimumWei) {
        Config memory cfg = _config;
        return
            uint256(MODEL_REGISTRY.getRequestTerms(modelId).feeWei) +
            cfg.protocolFeeWei +
            cfg.minWorkerRewardWei +
            uint256(callbackGasLimit) * cfg.callbackGasPriceWei;
    }

    // ---------------------------------------------------------------- results

    /// @inheritdoc IInferenceHub
    function submitResult(
        Request calldata request,
        bytes calldata output,
        bytes32 environmentId,
        bytes calldata proof
    ) external whenNotPaused {
        _submit(
            request,
            _requireStatus(request, RequestCommitment.hashRequest(request), RequestStatus.Pending),
            output,
            environmentId,
            proof
        );
    }

    /// @inheritdoc IInferenceHub
    function submitResults(ResultSubmission[] calldata results) external whenNotPaused {
        for (uint256 i; i < results.length; ++i) {
            ResultSubmission calldata item = results[i];
            bytes32 requestHash = RequestCommitment.hashRequest(item.request);
            RequestStatus status = RequestCommitment.statusOf(_commitments[item.request.id]);
            // Another worker or a refund got there first, or the deadline passed while the batch
            // was in flight: not the other results' fault.
            if (status > RequestStatus.Pending || block.timestamp > item.request.deadline) {
                emit ResultSkipped(item.request.id, status);
                continue;
            }
            _submit(
                item.request,
                _requireStatus(item.request, requestHash, RequestStatus.Pending),
                item.output,
                item.environmentId,
                item.signature
            );
        }
    }

    /// @inheritdoc IInferenceHub
    function finalize(
        Request calldata request,
        Submission calldata submission,
        bytes calldata output
    ) external {
        bytes32 submissionHash = RequestCommitment.hashSubmission(
            RequestCommitment.hashRequest(request),
            submission
        );
        _requireStatus(request, submissionHash, RequestStatus.Submitted);
        if (_ledger.paused) revert EnforcedPause();
        uint64 windowEnd = _challengeWindowEnd(request, submission);
        if (block.timestamp < windowEnd) revert ChallengeWindowOpen(request.id, windowEnd);
        if (keccak256(output) != submission.outputHash) revert OutputMismatch(request.id);
        // Governance revoked the build that signed this before it became final: nobody vouches
        // for the result any more, so the requester gets the escrow back.
        if (!WORKER_REGISTRY.isEnvironmentApproved(submission.environmentId)) {
            _closeAndRefund(request, RequestStatus.Refunded, FailureReason.None);
            return;
        }
        _settle(request, submission.worker, submission.outputHash, output, 0);
    }

    /// @inheritdoc IInferenceHub
    function reportFailure(
        Request calldata request,
        bytes calldata input,
        FailureReason reason,
        bytes32 environmentId,
        bytes calldata signature
    ) external whenNotPaused {
        bytes32 requestHash = _requireStatus(
            request,
            RequestCommitment.hashRequest(request),
            RequestStatus.Pending
        );
        // ZK and QUORUM requests end by their own rules (a proof, a round, the deadline): a single
        // worker's word must not veto them.
        if (request.proofMode != ProofMode.ATTESTED) revert FailureReportNotAllowed(request.id);
        if (block.timestamp > request.deadline) revert RequestExpired(request.id, request.deadline);
        if (keccak256(input) != request.inputHash) revert InputMismatch(request.id);
        bytes32 digest = _failureDigest(
            request.id,
            request.modelId,
            request.inputHash,
            reason,
            environmentId
        );
        address worker = _recoverEligible(request, digest, environmentId, signature);

        if (
            reason == FailureReason.InputShapeMismatch || reason == FailureReason.InputUndecodable
        ) {
            // The chain can see these for itself: a false report reverts, a true one is final.
            if (MODEL_REGISTRY.inputFailure(request.modelId, input) != reason) {
                revert FailureNotShown(request.id, reason);
            }
            CallbackResult callbackResult = _closeAndRefund(request, RequestStatus.Failed, reason);
            emit RequestFailed(request.id, worker, reason, callbackResult);
            return;
        }
        if (reason == FailureReason.None) revert NoFailureReason();
        // Anything else is the worker's word, so it is recorded as a result whose output is the
        // failure output, open to challenge for the request's window: a worker who lied is slashed.
        _recordFailureReport(request, requestHash, worker, reason, environmentId);
    }

    /// @inheritdoc IInferenceHub
    function refund(Request calldata request) external {
        _requireStatus(request, RequestCommitment.hashRequest(request), RequestStatus.Pending);
        if (block.timestamp <= request.deadline)
            revert RequestNotExpired(request.id, request.deadline);
        _closeAndRefund(request, RequestStatus.Refunded, FailureReason.None);
    }

    // ---------------------------------------------------------------- challenges

    /// @inheritdoc IInferenceHub
    function challenge(
        Request calldata request,
        Submission calldata submission,
        bytes32 claimedOutputHash
    ) external payable whenNotPaused {
        bytes32 submissionHash = RequestCommitment.hashSubmission(
            RequestCommitment.hashRequest(request),
            submission
        );
        // A failure report that is the worker's word is already Failed (its requester refunded)
        // but open to challenge like a submitted result.
        if (_commitments[request.id] != RequestCommitment.tag(submissionHash, RequestStatus.Failed))
            _requireStatus(request, submissionHash, RequestStatus.Submitted);
        uint64 windowEnd = _challengeWindowEnd(request, submission);
        if (block.timestamp >= windowEnd) revert ChallengeWindowClosed(request.id, windowEnd);
        uint256 bondWei = _disputeConfig.challengeBondWei;
        if (msg.value < bondWei) revert InsufficientBond(msg.value, bondWei);
        if (claimedOutputHash == submission.outputHash) revert ChallengeSameOutput(request.id);

        Challenge memory record = Challenge({
            challenger: msg.sender,
            bondWei: msg.value.toUint96(),
            claimedOutputHash: claimedOutputHash,
            challengedAt: uint64(block.timestamp)
        });
        _commitments[request.id] = RequestCommitment.tag(
            RequestCommitment.hashChallenge(submissionHash, record),
            RequestStatus.Challenged
        );
        emit ResultChallenged(request.id, msg.sender, claimedOutputHash, msg.value);
    }

    /// @inheritdoc IInferenceHub
    function resolveChallenge(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bool challengerWon
    ) external onlyRole(DISPUTE_RESOLVER_ROLE) {
        _requireChallenged(request, submission, challengeRecord);
        // Past the timeout the worker's stake may be gone; the dispute can only expire.
        uint64 expiresAt = challengeRecord.challengedAt + _disputeConfig.disputeTimeoutSeconds;
        if (block.timestamp >= expiresAt) revert DisputeExpired(request.id, expiresAt);
        bool failureReport = _isFailureReport(submission.outputHash);
        if (!challengerWon) {
            if (keccak256(output) != submission.outputHash) revert OutputMismatch(request.id);
            emit ChallengeResolved(request.id, false, 0);
            // The bond compensates the worker for the delay, or for a failure report that stood.
            if (failureReport) {
                _commitments[request.id] = RequestCommitment.tag(0, RequestStatus.Failed);
                _balances[submission.worker] += challengeRecord.bondWei;
            } else {
                _settle(
                    request,
                    submission.worker,
                    submission.outputHash,
                    output,
                    challengeRecord.bondWei
                );
            }
            return;
        }
        _closeOverturned(request, failureReport);
        uint256 slashedWei = WORKER_REGISTRY.slash(
            submission.worker,
            _disputeConfig.slashAmountWei
        );
        // Only part of the slash rewards the challenger, the rest goes to the treasury: a worker
        // who challenges its own wrong result from a second address still loses the difference.
        uint256 challengerShareWei = (slashedWei * CHALLENGER_SHARE_BPS) / 10_000;
        _balances[challengeRecord.challenger] += challengeRecord.bondWei + challengerShareWei;
        _balances[_treasury] += slashedWei - challengerShareWei;
        emit ChallengeResolved(request.id, true, slashedWei);
    }

    /// @inheritdoc IInferenceHub
    function expireChallenge(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord
    ) external {
        _requireChallenged(request, submission, challengeRecord);
        uint64 expiresAt = challengeRecord.challengedAt + _disputeConfig.disputeTimeoutSeconds;
        if (block.timestamp < expiresAt) revert DisputeNotExpired(request.id, expiresAt);
        // Nobody decided: the answer no longer stands, as if it had been overturned.
        _closeOverturned(request, _isFailureReport(submission.outputHash));
        _balances[challengeRecord.challenger] += challengeRecord.bondWei;
        emit ChallengeExpired(request.id);
    }

    // ---------------------------------------------------------------- balances

    /// @inheritdoc IInferenceHub
    function withdraw(address payable to) external {
        uint256 amountWei = _balances[msg.sender];
        if (amountWei == 0) revert NothingToWithdraw();
        _balances[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amountWei);
        (bool ok, ) = to.call{value: amountWei}("");
        if (!ok) revert TransferFailed(to, amountWei);
    }

    /// @inheritdoc IInferenceHub
    function collectProtocolFees() external {
        uint256 amountWei = _ledger.protocolFeesWei;
        if (amountWei == 0) revert NothingToWithdraw();
        _ledger.protocolFeesWei = 0;
        address treasury_ = _treasury;
        _balances[treasury_] += amountWei;
        emit ProtocolFeesCollected(treasury_, amountWei);
    }

    // ---------------------------------------------------------------- admin

    /// @inheritdoc IInferenceHub
    function setConfig(Config calldata config_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setConfig(config_);
    }

    /// @inheritdoc IInferenceHub
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    /// @inheritdoc IInferenceHub
    function setProofVerifier(
        ProofMode mode,
        IProofVerifier verifier
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (mode == ProofMode.ATTESTED || address(verifier) == address(0)) revert InvalidConfig();
        if (address(_verifiers[mode]) != address(0)) revert ProofVerifierAlreadySet(mode);
        _verifiers[mode] = verifier;
        emit ProofVerifierSet(mode, address(verifier));
    }

    /// @inheritdoc IInferenceHub
    function pause() external onlyRole(PAUSER_ROLE) {
        if (_ledger.paused) revert EnforcedPause();
        _ledger.paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IInferenceHub
    function unpause() external onlyRole(PAUSER_ROLE) {
        if (!_ledger.paused) revert ExpectedPause();
        _ledger.paused = false;
        _ledger.unpausedAt = uint40(block.timestamp);
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IInferenceHub
    function unpausedAt() external view returns (uint64) {
        return _ledger.unpausedAt;
    }

    /// @inheritdoc IInferenceHub
    function paused() external view returns (bool) {
        return _ledger.paused;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IInferenceHub
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IInferenceHub
    function requestStatus(uint256 requestId) external view returns (RequestStatus) {
        return RequestCommitment.statusOf(_commitments[requestId]);
    }

    /// @inheritdoc IInferenceHub
    function requestCommitment(uint256 requestId) external view returns (bytes32) {
        return _commitments[requestId];
    }

    /// @inheritdoc IInferenceHub
    function hashRequest(Request calldata request) external pure returns (bytes32) {
        return RequestCommitment.hashRequest(request);
    }

    /// @inheritdoc IInferenceHub
    function resultDigest(
        uint256 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 environmentId
    ) external view returns (bytes32) {
        return _resultDigest(requestId, modelId, inputHash, outputHash, environmentId);
    }

    /// @inheritdoc IInferenceHub
    function failureDigest(
        uint256 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        FailureReason reason,
        bytes32 environmentId
    ) external view returns (bytes32) {
        return _failureDigest(requestId, modelId, inputHash, reason, environmentId);
    }

    /// @inheritdoc IInferenceHub
    function failureOutput(FailureReason reason) public pure returns (bytes memory) {
        return abi.encodePacked(uint8(0), uint8(reason));
    }

    /// @inheritdoc IInferenceHub
    function challengeWindowEnd(
        Request calldata request,
        Submission calldata submission
    ) external view returns (uint64) {
        return _challengeWindowEnd(request, submission);
    }

    /// @inheritdoc IInferenceHub
    function config() external view returns (Config memory) {
        return _config;
    }

    /// @inheritdoc IInferenceHub
    function disputeConfig() external view returns (DisputeConfig memory) {
        return _disputeConfig;
    }

    /// @inheritdoc IInferenceHub
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IInferenceHub
    function proofVerifier(ProofMode mode) external view returns (IProofVerifier) {
        return _verifiers[mode];
    }

    /// @inheritdoc IInferenceHub
    function protocolFeesWei() external view returns (uint256) {
        return _ledger.protocolFeesWei;
    }

    /// @inheritdoc IInferenceHub
    function nextRequestId() external view returns (uint256) {
        return _ledger.nextRequestId;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks a new request against the model and the config, and prices it.
    function _newRequest(
        bytes32 modelId,
        bytes calldata input,
        ProofMode proofMode,
        address assignee,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) private returns (Request memory request) {
        IModelRegistry.RequestTerms memory terms = MODEL_REGISTRY.getRequestTerms(modelId);
        if (terms.status != IModelRegistry.ModelStatus.Active) revert ModelNotActive(modelId);
        if (terms.proofModes & (1 << uint8(proofMode)) == 0)
            revert ProofModeNotAllowed(modelId, proofMode);
        if (proofMode != ProofMode.ATTESTED && address(_verifiers[proofMode]) == address(0)) {
            revert ProofModeUnavailable(proofMode);
        }
        if (input.length != terms.inputBytes)
            revert InputLengthMismatch(modelId, input.length, terms.inputBytes);
        if (callback == address(0) && callbackGasLimit != 0) revert CallbackGasLimitWithoutTarget();
        // A limit no settling transaction can carry would strand the escrow and any bond.
        if (callbackGasLimit > MAX_CALLBACK_GAS_LIMIT) {
            revert CallbackGasLimitTooHigh(callbackGasLimit, MAX_CALLBACK_GAS_LIMIT);
        }

        Config memory cfg = _config;
        uint64 earliest = uint64(block.timestamp) + cfg.assignmentGraceSeconds;
        uint64 latest = uint64(block.timestamp) + cfg.maxDeadlineSeconds;
        if (deadline < earliest || deadline > latest)
            revert InvalidDeadline(deadline, earliest, latest);

        uint256 callbackFeeWei = uint256(callbackGasLimit) * cfg.callbackGasPriceWei;
        uint256 requiredWei =
            uint256(terms.feeWei) + cfg.protocolFeeWei + callbackFeeWei + cfg.minWorkerRewardWei;
        if (msg.value < requiredWei) revert InsufficientPayment(msg.value, requiredWei);

        Ledger memory ledger = _ledger;
        // A 64-bit id and 184 bits of fees cannot overflow in practice; checked arithmetic reverts if they did.
        _ledger = Ledger(
            ledger.nextRequestId + 1,
            ledger.protocolFeesWei + cfg.protocolFeeWei,
            false,
            ledger.unpausedAt
        );
        request.id = ledger.nextRequestId;
        request.requester = msg.sender;
        request.callback = callback;
        request.modelOwner = terms.owner;
        request.assignee = assignee;
        request.modelId = modelId;
        request.inputHash = keccak256(input);
        request.modelFeeWei = terms.feeWei;
        // msg.value >= requiredWei covers the subtraction; the cast bounds the whole payment.
        request.workerRewardWei = (msg.value - requiredWei + cfg.minWorkerRewardWei).toUint96();
        request.callbackFeeWei = uint96(callbackFeeWei);
        request.assignedUntil = assignee == address(0) ? uint64(block.timestamp) : earliest;
        request.deadline = deadline;
        request.callbackGasLimit = callbackGasLimit;
        request.challengeWindowSeconds = cfg.challengeWindowSeconds;
        request.proofMode = proofMode;
        request.zkVerifier = terms.zkVerifier;
    }

    /// @dev Ends a disputed answer that does not stand as `Refunded`. A result's requester is
    /// refunded now; a failure report's was refunded when it was made, so nothing more is owed.
    function _closeOverturned(Request calldata request, bool failureReport) private {
        if (failureReport)
            _commitments[request.id] = RequestCommitment.tag(0, RequestStatus.Refunded);
        else _closeAndRefund(request, RequestStatus.Refunded, FailureReason.None);
    }

    /// @dev Records a failure report that is the worker's word. The requester is refunded now,
    /// not after the window: whoever wins a dispute over a failure, the escrow goes back to the
    /// requester, so waiting would protect nobody.
    function _recordFailureReport(
        Request calldata request,
        bytes32 requestHash,
        address worker,
        FailureReason reason,
        bytes32 environmentId
    ) private {
        bytes memory output = failureOutput(reason);
        bytes32 outputHash = keccak256(output);
        uint64 finalizableAt = uint64(block.timestamp) + request.challengeWindowSeconds;
        emit ResultSubmitted(request.id, worker, environmentId, outputHash, finalizableAt, output);
        bytes32 claimHash =
            request.challengeWindowSeconds == 0
                ? bytes32(0)
                : RequestCommitment.hashSubmission(
                    requestHash,
                    Submission(worker, outputHash, environmentId, finalizableAt)
                );
        // Recorded before the consumer is called back, so a reentrant callback sees it final.
        _commitments[request.id] = RequestCommitment.tag(claimHash, RequestStatus.Failed);
        CallbackResult callbackResult = _refund(request, reason);
        emit RequestFailed(request.id, worker, reason, callbackResult);
    }

    function _submit(
        Request calldata request,
        bytes32 requestHash,
        bytes calldata output,
        bytes32 environmentId,
        bytes calldata proof
    ) private {
        if (block.timestamp > request.deadline) revert RequestExpired(request.id, request.deadline);
        // A result is a tensor, never a failure output: those come only from `reportFailure`.
        if (_isFailureOutput(output)) revert OutputMismatch(request.id);
        bytes32 outputHash = keccak256(output);
        if (request.proofMode != ProofMode.ATTESTED) {
            // Other modes are final once their verifier accepts the proof.
            address prover = _verifiers[request.proofMode].verify(request, outputHash, proof);
            emit ResultSubmitted(
                request.id,
                prover,
                environmentId,
                outputHash,
                uint64(block.timestamp),
                output
            );
            _settle(request, prover, outputHash, output, 0);
            return;
        }
        bytes32 digest = _resultDigest(
            request.id,
            request.modelId,
            request.inputHash,
            outputHash,
            environmentId
        );
        address worker = _recoverEligible(request, digest, environmentId, proof);
        _accept(request, requestHash, worker, output, outputHash, environmentId);
    }

    /// @dev Records an ATTESTED result for its challenge window, or settles it at once when the
    /// window is zero.
    function _accept(
        Request calldata request,
        bytes32 requestHash,
        address worker,
        bytes memory output,
        bytes32 outputHash,
        bytes32 environmentId
    ) private {
        uint64 finalizableAt = uint64(block.timestamp) + request.challengeWindowSeconds;
        emit ResultSubmitted(request.id, worker, environmentId, outputHash, finalizableAt, output);
        if (request.challengeWindowSeconds == 0) {
            _settle(request, worker, outputHash, output, 0);
        } else {
            Submission memory submission = Submission(
                worker,
                outputHash,
                environmentId,
                finalizableAt
            );
            _commitments[request.id] = RequestCommitment.tag(
                RequestCommitment.hashSubmission(requestHash, submission),
                RequestStatus.Submitted
            );
        }
    }

    /// @dev Recovers the signer and checks it may answer this request now.
    function _recoverEligible(
        Request calldata request,
        bytes32 digest,
        bytes32 environmentId,
        bytes calldata signature
    ) private view returns (address worker) {
        worker = ECDSA.recoverCalldata(digest, signature);
        WORKER_REGISTRY.checkEligible(worker, environmentId);
        if (worker != request.assignee && block.timestamp < request.assignedUntil)
            revert NotAssignee(request.id, worker, request.assignee);
    }

    /// @dev Pays everyone and calls the consumer back. `extraWorkerWei` is a lost challenge bond.
    function _settle(
        Request calldata request,
        address worker,
        bytes32 outputHash,
        bytes memory output,
        uint256 extraWorkerWei
    ) private {
        _commitments[request.id] = RequestCommitment.tag(0, RequestStatus.Settled);
        // Credits to one account within a batch cost 100 gas each after the first (EIP-2200), so
        // crediting per result is as cheap as summing in memory and much simpler.
        _balances[worker] += request.workerRewardWei + extraWorkerWei;
        _balances[request.modelOwner] += request.modelFeeWei;
        CallbackResult callbackResult = _callBack(
            request,
            abi.encodeCall(
                IInferenceConsumer.onInferenceResult,
                (request.id, request.modelId, output)
            )
        );
        emit RequestSettled(request.id, worker, outputHash, callbackResult);
    }

    /// @dev Ends a request without a result: records `status`, credits the requester with the
    /// escrow (less the callback fee if a callback runs) and tells the consumer why.
    function _closeAndRefund(
        Request calldata request,
        RequestStatus status,
        FailureReason reason
    ) private returns (CallbackResult) {
        _commitments[request.id] = RequestCommitment.tag(0, status);
        return _refund(request, reason);
    }

    /// @dev Credits the requester with the escrow (less the callback fee if a callback runs) and
    /// tells the consumer why. The caller has recorded how the request ended.
    function _refund(
        Request calldata request,
        FailureReason reason
    ) private returns (CallbackResult callbackResult) {
        uint256 refundWei = uint256(request.modelFeeWei) + request.workerRewardWei;
        if (request.callbackGasLimit == 0) refundWei += request.callbackFeeWei;
        _balances[request.requester] += refundWei;
        callbackResult = _callBack(
            request,
            abi.encodeCall(IInferenceConsumer.onInferenceFailed, (request.id, reason))
        );
        emit RequestRefunded(request.id, request.requester, refundWei, callbackResult);
    }

    /// @dev Runs the consumer callback, if any, and pays its fee to whoever sent this transaction.
    function _callBack(
        Request calldata request,
        bytes memory data
    ) private returns (CallbackResult result) {
        if (request.callbackGasLimit == 0) return CallbackResult.None;
        _balances[msg.sender] += request.callbackFeeWei;
        bytes memory reason;
        (result, reason) = ExactGasCall.call(request.callback, request.callbackGasLimit, data);
        if (result != CallbackResult.Succeeded)
            emit CallbackFailed(request.id, request.callback, result, reason);
    }

    /// @dev Where a challenge window ends: at `finalizableAt`, or a full window after the last
    /// pause ended if that is later, so that a pause never shortens anyone's time to challenge.
    function _challengeWindowEnd(
        Request calldata request,
        Submission calldata submission
    ) private view returns (uint64) {
        uint64 afterPause = uint64(_ledger.unpausedAt) + request.challengeWindowSeconds;
        return afterPause > submission.finalizableAt ? afterPause : submission.finalizableAt;
    }

    function _isFailureOutput(bytes memory output) private pure returns (bool) {
        return output.length == 2 && output[0] == 0x00;
    }

    /// @dev Whether a recorded answer is a failure report: results are never failure outputs
    /// (`_submit` refuses them), so only `reportFailure` records one of these hashes. Runs only
    /// in disputes, where a dozen hashes of two bytes cost nothing that matters.
    function _isFailureReport(bytes32 outputHash) private pure returns (bool) {
        for (uint256 reason = 1; reason <= uint256(type(FailureReason).max); ++reason) {
            if (outputHash == keccak256(failureOutput(FailureReason(reason)))) return true;
        }
        return false;
    }

    function _requireChallenged(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata record
    ) private view {
        bytes32 submissionHash = RequestCommitment.hashSubmission(
            RequestCommitment.hashRequest(request),
            submission
        );
        _requireStatus(
            request,
            RequestCommitment.hashChallenge(submissionHash, record),
            RequestStatus.Challenged
        );
    }

    /// @dev Reverts unless the stored commitment is `hash` in `status`; returns `hash`.
    function _requireStatus(
        Request calldata request,
        bytes32 hash,
        RequestStatus status
    ) private view returns (bytes32) {
        bytes32 stored = _commitments[request.id];
        if (stored == RequestCommitment.tag(hash, status)) return hash;
        RequestStatus actual = RequestCommitment.statusOf(stored);
        if (actual == status) revert RequestMismatch(request.id);
        if (status == RequestStatus.Pending) revert RequestNotPending(request.id, actual);
        if (status == RequestStatus.Submitted) revert RequestNotSubmitted(request.id, actual);
        revert RequestNotChallenged(request.id, actual);
    }

    function _resultDigest(
        uint256 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 environmentId
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        RESULT_TYPEHASH,
                        requestId,
                        modelId,
                        inputHash,
                        outputHash,
                        environmentId
                    )
                )
            );
    }

    function _failureDigest(
        uint256 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        FailureReason reason,
        bytes32 environmentId
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        FAILURE_TYPEHASH,
                        requestId,
                        modelId,
                        inputHash,
                        reason,
                        environmentId
                    )
                )
            );
    }

    function _setConfig(Config memory config_) private {
        if (config_.maxDeadlineSeconds <= config_.assignmentGraceSeconds) revert InvalidConfig();
        _checkStakeOutlastsDisputes(
            config_.challengeWindowSeconds,
            _disputeConfig.disputeTimeoutSeconds
        );
        _config = config_;
        emit ConfigUpdated(config_);
    }

    /// @dev Set once, in the constructor: a request's dispute is decided by the parameters it was
    /// made under. A slash larger than the least stake could not be taken in full (X <= S).
    function _setDisputeConfig(DisputeConfig memory config_) private {
        if (
            config_.challengeBondWei == 0 ||
            config_.disputeTimeoutSeconds == 0 ||
            config_.slashAmountWei == 0 ||
            config_.slashAmountWei > WORKER_REGISTRY.MIN_STAKE_WEI()
        ) {
            revert InvalidConfig();
        }
        _checkStakeOutlastsDisputes(_config.challengeWindowSeconds, config_.disputeTimeoutSeconds);
        _disputeConfig = config_;
        emit DisputeConfigUpdated(config_);
    }

    /// @dev A worker must not be able to withdraw stake that a dispute over its last result may
    /// still slash: unbonding has to outlast the challenge window plus the dispute timeout.
    function _checkStakeOutlastsDisputes(
        uint256 challengeWindowSeconds,
        uint256 disputeTimeoutSeconds
    ) private view {
        if (
            challengeWindowSeconds + disputeTimeoutSeconds >=
            WORKER_REGISTRY.UNBONDING_DELAY_SECONDS()
        ) {
            revert InvalidConfig();
        }
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert InvalidAddress();
        _treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }
}

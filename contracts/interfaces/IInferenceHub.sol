// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    CallbackResult,
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "../types/Inference.sol";
import {IProofVerifier} from "./IProofVerifier.sol";

/// @title IInferenceHub
/// @notice Takes inference requests with escrowed payment, accepts results with a proof, and pays
/// workers, model owners and the protocol only once a result is final.
///
/// Payment for a request is `protocolFeeWei + modelFeeWei + callbackFeeWei + workerRewardWei`,
/// where the worker reward is whatever `msg.value` carries beyond the first three and must reach
/// `minWorkerRewardWei`. The protocol fee is earned when the request is accepted (it pays for
/// carrying it, and prices spam); the rest stays in escrow until the request settles or is
/// refunded. The callback fee (`callbackGasLimit * callbackGasPriceWei`) pays whoever sends the
/// transaction that runs the callback, so settling never costs a worker more than it earns.
interface IInferenceHub {
    /// @notice Protocol parameters, packed into one slot: 8 + 8 + 8 + 2 + 3 + 3 bytes.
    struct Config {
        uint64 protocolFeeWei;
        uint64 minWorkerRewardWei;
        /// Price per unit of callback gas the requester pays to the settler.
        uint64 callbackGasPriceWei;
        /// How long a named assignee alone may answer before any eligible worker may.
        uint16 assignmentGraceSeconds;
        /// How long an ATTESTED result can be challenged. Zero settles at once.
        uint24 challengeWindowSeconds;
        /// Longest time a requester may give a worker to answer.
        uint24 maxDeadlineSeconds;
    }

    /// @notice Parameters for challenges, in their own slot: read only when a result is disputed.
    /// Fixed when the hub is deployed, so every request is disputed under the rules it was made
    /// under; the constructor checks `slashAmountWei <= WorkerRegistry.MIN_STAKE_WEI`.
    struct DisputeConfig {
        uint96 challengeBondWei;
        /// Slashed from a worker whose result is overturned.
        uint96 slashAmountWei;
        /// After this long an unresolved challenge can be closed: requester refunded, bond returned.
        uint32 disputeTimeoutSeconds;
    }

    /// @notice One result in a batch.
    struct ResultSubmission {
        Request request;
        bytes output;
        bytes32 environmentId;
        bytes signature;
    }

    event InferenceRequested(
        uint256 indexed requestId,
        bytes32 indexed modelId,
        address indexed requester,
        Request request,
        bytes input
    );
    event ResultSubmitted(
        uint256 indexed requestId,
        address indexed worker,
        bytes32 environmentId,
        bytes32 outputHash,
        uint64 finalizableAt,
        bytes output
    );
    /// @notice A batch skipped a request that was no longer pending (settled, refunded or answered by
    /// another worker first; `status` says which) or whose deadline had passed (`status` is
    /// `Pending`), rather than reverting the other results.
    event ResultSkipped(uint256 indexed requestId, RequestStatus status);
    event RequestSettled(
        uint256 indexed requestId,
        address indexed worker,
        bytes32 outputHash,
        CallbackResult callbackResult
    );
    event RequestFailed(
        uint256 indexed requestId,
        address indexed worker,
        FailureReason reason,
        CallbackResult callbackResult
    );
    event RequestRefunded(
        uint256 indexed requestId,
        address indexed requester,
        uint256 amountWei,
        CallbackResult callbackResult
    );
    /// @notice The consumer's callback reverted or ran out of gas. Settlement went ahead regardless.
    event CallbackFailed(
        uint256 indexed requestId,
        address indexed callback,
        CallbackResult result,
        bytes reason
    );
    event ResultChallenged(
        uint256 indexed requestId,
        address indexed challenger,
        bytes32 claimedOutputHash,
        uint256 bondWei
    );
    event ChallengeResolved(uint256 indexed requestId, bool challengerWon, uint256 slashedWei);
    event ChallengeExpired(uint256 indexed requestId);
    event Withdrawn(address indexed account, address indexed to, uint256 amountWei);
    event ProtocolFeesCollected(address indexed treasury, uint256 amountWei);
    event ConfigUpdated(Config config);
    event DisputeConfigUpdated(DisputeConfig config);
    event TreasuryUpdated(address treasury);
    event ProofVerifierSet(ProofMode indexed mode, address verifier);
    event Paused(address account);
    event Unpaused(address account);

    error ModelNotActive(bytes32 modelId);
    error ProofModeNotAllowed(bytes32 modelId, ProofMode mode);
    error ProofModeUnavailable(ProofMode mode);
    error InputLengthMismatch(bytes32 modelId, uint256 length, uint256 expected);
    error InsufficientPayment(uint256 paidWei, uint256 requiredWei);
    error InvalidDeadline(uint64 deadline, uint64 earliest, uint64 latest);
    error CallbackGasLimitWithoutTarget();
    /// @notice A callback gas limit above `MAX_CALLBACK_GAS_LIMIT`.
    error CallbackGasLimitTooHigh(uint32 callbackGasLimit, uint32 maxCallbackGasLimit);
    /// @notice Only ATTESTED requests take failure reports; ZK and QUORUM requests end by their
    /// mode's own rules or are refunded at their deadline.
    error FailureReportNotAllowed(uint256 requestId);
    /// @notice The bytes given are not the request's input.
    error InputMismatch(uint256 requestId);
    /// @notice The chain checked the input and it does not show the reported failure.
    error FailureNotShown(uint256 requestId, FailureReason reason);
    /// @notice A mode's verifier is set once, at deployment, so no pending request can see it change.
    error ProofVerifierAlreadySet(ProofMode mode);
    error RequestMismatch(uint256 requestId);
    error RequestNotPending(uint256 requestId, RequestStatus status);
    error RequestNotSubmitted(uint256 requestId, RequestStatus status);
    error RequestNotChallenged(uint256 requestId, RequestStatus status);
    error RequestExpired(uint256 requestId, uint64 deadline);
    error RequestNotExpired(uint256 requestId, uint64 deadline);
    error NotAssignee(uint256 requestId, address signer, address assignee);
    error ChallengeWindowOpen(uint256 requestId, uint64 finalizableAt);
    error ChallengeWindowClosed(uint256 requestId, uint64 finalizableAt);
    error InsufficientBond(uint256 bondWei, uint256 requiredWei);
    error ChallengeSameOutput(uint256 requestId);
    error DisputeNotExpired(uint256 requestId, uint64 expiresAt);
    /// @notice The dispute timed out: it can only be closed with `expireChallenge`.
    error DisputeExpired(uint256 requestId, uint64 expiresAt);
    error NoFailureReason();
    error OutputMismatch(uint256 requestId);
    error NothingToWithdraw();
    error TransferFailed(address to, uint256 amountWei);
    error InvalidConfig();
    error InvalidAddress();
    error UnexpectedSender(address sender);
    error EnforcedPause();
    error ExpectedPause();

    /// @notice Asks for an inference. `msg.value` pays the model fee, the protocol fee, the callback
    /// fee and, with the rest, the worker. Emits `InferenceRequested` with the full `Request`, which
    /// callers re-supply at settlement.
    /// @param input The input tensor in the canonical encoding; its length must equal the model's
    /// `inputBytes`. Whether it decodes to the model's shape is checked by the worker, which answers
    /// a malformed tensor with `reportFailure`.
    /// @param assignee The worker that alone may answer for `assignmentGraceSeconds`, so that workers
    /// do not all race for the request; zero lets every eligible worker answer at once. Any choice is
    /// safe: the result is still signed by a staked worker and open to challenge.
    /// @param callback A contract implementing `IInferenceConsumer`, or zero.
    /// @param callbackGasLimit Gas for the callback; must be zero without a callback.
    /// @param deadline Last timestamp at which a result is accepted; after it the requester is refunded.
    function requestInference(
        bytes32 modelId,
        bytes calldata input,
        ProofMode proofMode,
        address assignee,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) external payable returns (uint256 requestId);

    /// @notice The least `msg.value` `requestInference` accepts for this model and callback gas.
    function quote(
        bytes32 modelId,
        uint32 callbackGasLimit
    ) external view returns (uint256 minimumWei);

    /// @notice Accepts a result. ATTESTED: `proof` is the worker's EIP-712 signature over
    /// `InferenceResult(requestId, modelId, inputHash, outputHash, environmentId)`; anyone may send it.
    /// Final at once when the request's challenge window is zero.
    function submitResult(
        Request calldata request,
        bytes calldata output,
        bytes32 environmentId,
        bytes calldata proof
    ) external;

    /// @notice Accepts many results in one transaction. A request that is no longer pending, or
    /// whose deadline has passed, is skipped with `ResultSkipped`; any other failure reverts the
    /// whole batch.
    function submitResults(ResultSubmission[] calldata results) external;

    /// @notice Pays out a submitted result after its challenge window (`challengeWindowEnd`) and
    /// calls the consumer back; a submitted failure output fails the request instead and refunds
    /// the requester. A result signed on an environment revoked since is refunded, not paid. Not
    /// while paused: nobody can challenge then, so nothing may become final.
    function finalize(
        Request calldata request,
        Submission calldata submission,
        bytes calldata output
    ) external;

    /// @notice A worker reports that it cannot answer an ATTESTED request; the requester's escrow
    /// is refunded (less the callback fee when a callback runs) and no worker is paid.
    /// A report is as accountable as a result. `InputUndecodable` and `InputShapeMismatch` are
    /// checked on-chain against `input` (`FailureNotShown` if the input is fine) and are final at
    /// once. Any other reason is recorded like a result whose output is `failureOutput(reason)`:
    /// `ResultSubmitted` is emitted, it is open to `challenge` for the request's window, and
    /// `finalize` then fails the request (`RequestFailed`); a report overturned in a dispute slashes
    /// its worker as a wrong result does. ZK and QUORUM requests take no reports
    /// (`FailureReportNotAllowed`): a single worker cannot veto them.
    /// @param input The request's input bytes (they must hash to `request.inputHash`).
    /// @param signature The worker's EIP-712 signature over
    /// `InferenceFailure(requestId, modelId, inputHash, reason, environmentId)`.
    function reportFailure(
        Request calldata request,
        bytes calldata input,
        FailureReason reason,
        bytes32 environmentId,
        bytes calldata signature
    ) external;

    /// @notice Refunds a request that got no result by its deadline. Anyone may call it.
    function refund(Request calldata request) external;

    /// @notice Disputes a submitted ATTESTED result within its challenge window, posting a bond.
    /// Resolution is by `DISPUTE_RESOLVER_ROLE` (a ZK or quorum resolver in later versions).
    function challenge(
        Request calldata request,
        Submission calldata submission,
        bytes32 claimedOutputHash
    ) external payable;

    /// @notice Settles a dispute. If the challenger won, the worker is slashed, the requester
    /// refunded, the challenger gets its bond and `CHALLENGER_SHARE_BPS` of the slashed stake and
    /// the treasury the rest; otherwise the bond goes to the worker and the result settles (or, for
    /// a failure output, the request fails). Only `DISPUTE_RESOLVER_ROLE`.
    function resolveChallenge(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bool challengerWon
    ) external;

    /// @notice Closes a challenge nobody resolved within `disputeTimeoutSeconds`: the requester is
    /// refunded and the challenger's bond returned; the worker earns nothing. Anyone may call it.
    function expireChallenge(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord
    ) external;

    /// @notice The share of a slashed stake, in basis points, that the winning challenger earns;
    /// the treasury takes the rest. Below 100%, so that a worker challenging its own wrong result
    /// from a second address loses `(1 - share) * slashAmountWei` whatever the order of
    /// transactions (see docs/security.md).
    function CHALLENGER_SHARE_BPS() external view returns (uint256);

    /// @notice The largest callback gas limit a request may ask for: far below the 16,777,216 gas
    /// a transaction may carry, so a refund or settlement that runs the callback always fits.
    function MAX_CALLBACK_GAS_LIMIT() external view returns (uint32);

    /// @notice Plugs in the proof check for ZK or QUORUM, once per mode (`ProofVerifierAlreadySet`).
    /// Requests of a mode can be made only after its verifier is set, so none ever sees it change.
    /// Only `DEFAULT_ADMIN_ROLE`.
    function setProofVerifier(ProofMode mode, IProofVerifier verifier) external;

    /// @notice The output an ATTESTED failure report stands for: `0x00 ‖ uint8(reason)`, two bytes
    /// that no canonical tensor can be (a tensor starts with its version, 0x01). Challengers claim
    /// against its hash; jurors who cannot run the request reveal it.
    function failureOutput(FailureReason reason) external pure returns (bytes memory);

    /// @notice When the submission's challenge window ends: `finalizableAt`, or a full window after
    /// the last pause ended if that is later.
    function challengeWindowEnd(
        Request calldata request,
        Submission calldata submission
    ) external view returns (uint64);

    /// @notice Sends the caller's credited balance to `to`.
    function withdraw(address payable to) external;

    /// @notice Credits the protocol fees earned so far to the treasury's balance. Anyone may call it.
    function collectProtocolFees() external;

    /// @notice Protocol fees earned and not yet collected.
    function protocolFeesWei() external view returns (uint256);

    function balanceOf(address account) external view returns (uint256);

    function requestStatus(uint256 requestId) external view returns (RequestStatus);

    function requestCommitment(uint256 requestId) external view returns (bytes32);

    function hashRequest(Request calldata request) external pure returns (bytes32);

    /// @notice The EIP-712 digest a worker signs for a result.
    function resultDigest(
        uint256 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 environmentId
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest a worker signs for a failure report.
    function failureDigest(
        uint256 requestId,
        bytes32 modelId,
        bytes32 inputHash,
        FailureReason reason,
        bytes32 environmentId
    ) external view returns (bytes32);

    function config() external view returns (Config memory);

    function disputeConfig() external view returns (DisputeConfig memory);

    function treasury() external view returns (address);

    function proofVerifier(ProofMode mode) external view returns (IProofVerifier);

    function nextRequestId() external view returns (uint256);

    /// @notice Whether new requests, submissions and challenges are stopped.
    function paused() external view returns (bool);
}

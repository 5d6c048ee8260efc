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

    /// @notice A request was made and its escrow taken. `request` is what settlement takes back;
    /// `input` is the input tensor, which the hub keeps only as `request.inputHash`.
    event InferenceRequested(
        uint256 indexed requestId,
        bytes32 indexed modelId,
        address indexed requester,
        Request request,
        bytes input
    );
    /// @notice A result (or, for an ATTESTED failure report the chain cannot check, a failure
    /// output) was accepted. ATTESTED: open to challenge until `finalizableAt`; ZK and QUORUM, and a
    /// zero window: settled in the same transaction.
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
    /// @notice A result became final: the worker and model owner were credited and the consumer
    /// called back with the output.
    event RequestSettled(
        uint256 indexed requestId,
        address indexed worker,
        bytes32 outputHash,
        CallbackResult callbackResult
    );
    /// @notice A failure report became final: the requester was refunded (`RequestRefunded` in the
    /// same transaction) and the consumer told why.
    event RequestFailed(
        uint256 indexed requestId,
        address indexed worker,
        FailureReason reason,
        CallbackResult callbackResult
    );
    /// @notice The request ended without a result and `amountWei` was credited to its requester.
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
    /// @notice A submitted result was disputed with a bond; the consumer hears nothing until the
    /// dispute ends.
    event ResultChallenged(
        uint256 indexed requestId,
        address indexed challenger,
        bytes32 claimedOutputHash,
        uint256 bondWei
    );
    /// @notice A dispute was decided. `slashedWei` was taken from the worker when the challenger won.
    event ChallengeResolved(uint256 indexed requestId, bool challengerWon, uint256 slashedWei);
    /// @notice Nobody decided a dispute within its timeout: requester refunded, bond returned.
    event ChallengeExpired(uint256 indexed requestId);
    /// @notice `account` took its credited balance, sent to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amountWei);
    /// @notice Protocol fees earned so far were credited to the treasury.
    event ProtocolFeesCollected(address indexed treasury, uint256 amountWei);
    /// @notice New protocol parameters; they apply to requests made from now on.
    event ConfigUpdated(Config config);
    /// @notice The dispute parameters, emitted once at deployment: they never change.
    event DisputeConfigUpdated(DisputeConfig config);
    /// @notice Protocol fees and the treasury's share of slashes go to `treasury` from now on.
    event TreasuryUpdated(address treasury);
    /// @notice The verifier of a proof mode was set (once per mode).
    event ProofVerifierSet(ProofMode indexed mode, address verifier);
    /// @notice New requests, submissions, failure reports, challenges and finalization stopped.
    event Paused(address account);
    /// @notice The pause ended; every window open during it lasts a full window from now.
    event Unpaused(address account);

    /// @notice The model is deprecated; requests already made still settle.
    error ModelNotActive(bytes32 modelId);
    /// @notice The model's owner does not allow this proof mode (ZK needs a bound verifier).
    error ProofModeNotAllowed(bytes32 modelId, ProofMode mode);
    /// @notice No verifier is set for this proof mode in this deployment.
    error ProofModeUnavailable(ProofMode mode);
    /// @notice The input is not as long as a tensor of the model's input shape.
    error InputLengthMismatch(bytes32 modelId, uint256 length, uint256 expected);
    /// @notice `msg.value` is below `quote(modelId, callbackGasLimit)`.
    error InsufficientPayment(uint256 paidWei, uint256 requiredWei);
    /// @notice The deadline must leave the assignee its grace period and lie within `maxDeadlineSeconds`.
    error InvalidDeadline(uint64 deadline, uint64 earliest, uint64 latest);
    /// @notice A callback gas limit was given without a callback.
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
    /// @notice A re-supplied struct differs from what the hub committed to.
    error RequestMismatch(uint256 requestId);
    /// @notice The call needs a pending request; it is in `status`.
    error RequestNotPending(uint256 requestId, RequestStatus status);
    /// @notice The call needs a submitted result; the request is in `status`.
    error RequestNotSubmitted(uint256 requestId, RequestStatus status);
    /// @notice The call needs a challenged result; the request is in `status`.
    error RequestNotChallenged(uint256 requestId, RequestStatus status);
    /// @notice The deadline has passed: the request can only be refunded.
    error RequestExpired(uint256 requestId, uint64 deadline);
    /// @notice A refund needs the deadline to have passed.
    error RequestNotExpired(uint256 requestId, uint64 deadline);
    /// @notice Another worker alone may answer until the grace period ends.
    error NotAssignee(uint256 requestId, address signer, address assignee);
    /// @notice The result can be finalized only when its challenge window ends, at `finalizableAt`
    /// (`challengeWindowEnd`).
    error ChallengeWindowOpen(uint256 requestId, uint64 finalizableAt);
    /// @notice The challenge window ended at `finalizableAt`.
    error ChallengeWindowClosed(uint256 requestId, uint64 finalizableAt);
    /// @notice A challenge needs at least `challengeBondWei`.
    error InsufficientBond(uint256 bondWei, uint256 requiredWei);
    /// @notice A challenge must claim an output other than the submitted one.
    error ChallengeSameOutput(uint256 requestId);
    /// @notice A dispute can be expired only after its timeout, at `expiresAt`.
    error DisputeNotExpired(uint256 requestId, uint64 expiresAt);
    /// @notice The dispute timed out: it can only be closed with `expireChallenge`.
    error DisputeExpired(uint256 requestId, uint64 expiresAt);
    /// @notice A failure report needs a reason.
    error NoFailureReason();
    /// @notice The output does not hash to the submitted one, or a result is a failure output.
    error OutputMismatch(uint256 requestId);
    /// @notice The caller has no credited balance (or there are no protocol fees to collect).
    error NothingToWithdraw();
    /// @notice `to` refused the ETH of a withdrawal; the balance stays credited.
    error TransferFailed(address to, uint256 amountWei);
    /// @notice Parameters that break a guarantee (U > W + T, X <= S, non-zero bond and timeout, a
    /// deadline range) or a verifier for ATTESTED or zero.
    error InvalidConfig();
    /// @notice The admin or treasury cannot be the zero address.
    error InvalidAddress();
    /// @notice Only the worker registry sends ETH to the hub (slashed stake).
    error UnexpectedSender(address sender);
    /// @notice The hub is paused.
    error EnforcedPause();
    /// @notice The hub is not paused.
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
    /// calls the consumer back. A result signed on an environment revoked since is refunded, not paid. Not
    /// while paused: nobody can challenge then, so nothing may become final.
    function finalize(
        Request calldata request,
        Submission calldata submission,
        bytes calldata output
    ) external;

    /// @notice A worker reports that it cannot answer an ATTESTED request. The requester is refunded
    /// at once (less the callback fee when a callback runs), the consumer is told the reason
    /// (`onInferenceFailed`), the request is `Failed` and no worker is paid.
    /// A report is as accountable as a result. `InputUndecodable` and `InputShapeMismatch` are
    /// checked on-chain against `input` (`FailureNotShown` if the input is fine) and are final.
    /// Any other reason is the worker's word: it is recorded like a result whose output is
    /// `failureOutput(reason)` (`ResultSubmitted` is emitted with that output) and stays open to
    /// `challenge` for the request's window. A report overturned in a dispute slashes its worker as
    /// a wrong result does. Waiting would protect nobody: whoever wins a dispute over a failure,
    /// the escrow goes back to the requester, so it is refunded before the window, not after.
    /// ZK and QUORUM requests take no reports (`FailureReportNotAllowed`): a single worker cannot
    /// veto them.
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

    /// @notice Disputes a submitted ATTESTED result, or a failure report that is the worker's word
    /// (see `reportFailure`), within its challenge window, posting a bond. Resolution is by
    /// `DISPUTE_RESOLVER_ROLE`.
    function challenge(
        Request calldata request,
        Submission calldata submission,
        bytes32 claimedOutputHash
    ) external payable;

    /// @notice Settles a dispute. If the challenger won, the worker is slashed, the requester
    /// refunded, the challenger gets its bond and `CHALLENGER_SHARE_BPS` of the slashed stake and
    /// the treasury the rest; otherwise the bond goes to the worker and the result settles. A
    /// disputed failure report was refunded when it was made: it ends `Failed` if it stood and
    /// `Refunded` if it was overturned, and moves no escrow. Only `DISPUTE_RESOLVER_ROLE`.
    function resolveChallenge(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bool challengerWon
    ) external;

    /// @notice Closes a challenge nobody resolved within `disputeTimeoutSeconds`: the requester is
    /// refunded and the challenger's bond returned; the worker earns nothing. A disputed failure
    /// report was refunded when it was made; it ends `Refunded` too. Anyone may call it.
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

    /// @notice New protocol parameters for requests made from now on (a request keeps the window
    /// and prices it was made with). Refused when U <= W + T or the deadline range is empty. Only
    /// `DEFAULT_ADMIN_ROLE`, which the deployment gives to the timelock.
    function setConfig(Config calldata config_) external;

    /// @notice Where protocol fees and the treasury's share of slashes go from now on. Only
    /// `DEFAULT_ADMIN_ROLE`.
    function setTreasury(address treasury_) external;

    /// @notice Stops new requests, submissions, failure reports, challenges and finalization:
    /// nothing may become final while nobody can challenge it. Refunds, dispute expiry and
    /// withdrawals stay open, so no escrow is stranded by a pause. Only `PAUSER_ROLE`.
    function pause() external;

    /// @notice Ends a pause; every challenge window open during it lasts a full window from now.
    /// Only `PAUSER_ROLE`.
    function unpause() external;

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

    /// @notice What `account` may withdraw.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Where a request is in its lifecycle (`None` if it was never made).
    function requestStatus(uint256 requestId) external view returns (RequestStatus);

    /// @notice The request's stored commitment: the status in the low byte, a hash of what the next
    /// step must be shown again in the rest (`RequestCommitment`).
    function requestCommitment(uint256 requestId) external view returns (bytes32);

    /// @notice keccak256 of the ABI-encoded request, as the commitment binds it.
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

    /// @notice The protocol parameters new requests are made with.
    function config() external view returns (Config memory);

    /// @notice The dispute parameters, fixed at deployment.
    function disputeConfig() external view returns (DisputeConfig memory);

    /// @notice Where protocol fees and the treasury's share of slashes are credited.
    function treasury() external view returns (address);

    /// @notice The verifier of a proof mode, or zero when it is not offered.
    function proofVerifier(ProofMode mode) external view returns (IProofVerifier);

    /// @notice The id the next request will get.
    function nextRequestId() external view returns (uint256);

    /// @notice When the last pause ended, or zero if the hub was never paused.
    function unpausedAt() external view returns (uint64);

    /// @notice Whether new requests, submissions and challenges are stopped.
    function paused() external view returns (bool);
}

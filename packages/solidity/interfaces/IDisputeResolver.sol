// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Challenge, Request, RequestStatus, Submission} from "../types/Inference.sol";
import {IQuorumRounds} from "./IQuorumRounds.sol";

/// @title IDisputeResolver
/// @notice Decides challenged ATTESTED results for the hub, as its `DISPUTE_RESOLVER_ROLE`.
///
/// - A model with a ZK verifier: anyone shows a proof of the model's output on the request's
///   input (`resolveWithProof`) and the dispute is decided at once: the result stands if it is
///   the proven output, and is overturned otherwise.
/// - Any other model: anyone `escalate`s, paying `jurorFeeWei`, and a jury round (see
///   `IQuorumRounds`) of eligible workers other than the two parties re-runs the model; the
///   output `jurySize` of them agree on decides the same way, in the reveal that reaches it.
///
/// The hub then does the rest (`IInferenceHub.resolveChallenge`): an overturned result slashes the
/// worker and pays the challenger its bond plus the slashed stake, and the requester is refunded
/// and told the request failed; a result that stands settles and takes the bond. The consumer's
/// callback therefore hears only the outcome, never an overturned output. Jurors who revealed the
/// deciding output share the juror fee and the stake slashed from jurors who revealed another;
/// the fee is refunded to whoever escalated if the jury cannot decide. A dispute nobody decides
/// expires in the hub (`expireChallenge`).
interface IDisputeResolver is IQuorumRounds {
    /// @notice One slot: 1 + 4 + 4 + 12 bytes, then the juror slash in a second.
    struct JuryConfig {
        /// Matching reveals that decide a dispute (seats: twice this, less one).
        uint8 jurySize;
        uint32 commitWindowSeconds;
        uint32 revealWindowSeconds;
        /// Paid by whoever escalates; shared by the jurors who reveal the deciding output.
        uint96 jurorFeeWei;
        /// Taken from each juror who revealed an output other than the deciding one.
        uint96 jurorSlashWei;
    }

    /// @notice The two parties of an escalated dispute, who may not sit on its jury.
    struct Parties {
        address worker;
        address challenger;
    }

    /// @notice New jury parameters, for disputes escalated from now on.
    event ConfigUpdated(JuryConfig config);
    /// @notice Carries everything a juror needs besides the input (in the hub's
    /// `InferenceRequested`) and what `reveal` takes back.
    event DisputeEscalated(
        uint256 indexed requestId,
        address indexed escalator,
        Request request,
        Submission submission,
        Challenge challenge
    );
    /// @notice A ZK proof of the model's output decided a dispute; `prover` sent it.
    event DisputeResolvedByProof(
        uint256 indexed requestId,
        address indexed prover,
        bytes32 outputHash,
        bool challengerWon
    );
    /// @notice A jury's quorum decided a dispute: the output it agreed on, and whether it overturned the result.
    event DisputeResolvedByJury(uint256 indexed requestId, bytes32 outputHash, bool challengerWon);
    /// @notice The jury decided after the hub had closed the dispute (it expired): jurors are still
    /// paid and dissenters slashed, but nothing changes in the hub.
    event VerdictNotApplied(uint256 indexed requestId, RequestStatus status);

    /// @notice The hub holds no open challenge for this request; it is in `status`.
    error RequestNotChallenged(uint256 requestId, RequestStatus status);
    /// @notice A re-supplied struct differs from what the hub committed to.
    error RequestMismatch(uint256 requestId);
    /// @notice The request was made without a ZK verifier (the model had none then): only a jury decides it.
    error NoZkVerifier(bytes32 modelId);
    /// @notice The hub has no ZK-mode verifier in this deployment.
    error ZkModeUnavailable();
    /// @notice The model has a ZK verifier: prove the output instead of escalating.
    error ZkProofRequired(bytes32 modelId);
    /// @notice Escalating pays exactly the jury fee.
    error WrongJurorFee(uint256 paidWei, uint256 requiredWei);

    /// @notice Decides a dispute over a model with a ZK verifier: `proof` is what the hub's ZK
    /// verifier takes for `output` (`ZkProofVerifier.ZkProof`, its challenge bound to this
    /// contract as the caller), proving `output` is the model's output on the request's input. The
    /// caller is credited the callback fee.
    function resolveWithProof(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bytes calldata proof
    ) external;

    /// @notice Sends a dispute over a model without a ZK verifier to a jury; `msg.value` must be
    /// `jurorFeeWei`. The jury's round must end before the dispute times out in the hub.
    function escalate(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord
    ) external payable;

    /// @notice Takes a jury seat with `commitmentOf(requestId, msg.sender, keccak256(output), salt)`.
    /// Only eligible workers other than the two parties.
    function commit(uint256 requestId, bytes32 commitment) external;

    /// @notice Reveals a juror's output. The reveal that makes `jurySize` agree applies the verdict
    /// in the hub (the structs must then be the ones the hub holds) and is credited the callback
    /// fee; the last reveal closes the round.
    function reveal(
        Request calldata request,
        Submission calldata submission,
        Challenge calldata challengeRecord,
        bytes calldata output,
        bytes32 salt
    ) external;

    /// @notice The worker and the challenger of an escalated dispute (barred from its jury).
    function partiesOf(uint256 requestId) external view returns (Parties memory);

    /// @notice The jury parameters disputes are escalated with.
    function config() external view returns (JuryConfig memory);
}

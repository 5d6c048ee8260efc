// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceConsumer} from "@verity/solidity/consumer/InferenceConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {TensorCodec} from "@verity/solidity/libraries/TensorCodec.sol";
import {FailureReason, ProofMode, RequestStatus} from "@verity/solidity/types/Inference.sol";

/// @title CreditLine
/// @notice An example dapp: sets a borrower's credit limit from a risk model's probability of
/// default, and acts only on a result the hub has proven. The applicant pays for the inference;
/// if it fails, they can claim the refund back.
contract CreditLine is InferenceConsumer {
    struct Application {
        address borrower;
        /// What the borrower gets back if the inference fails: the hub refunds the payment less the
        /// protocol fee (earned at request) and the callback fee (paid to whoever runs the callback).
        uint96 refundableWei;
    }

    /// @notice Risk model: 16 features in, one probability of default out, both at `decimals`.
    bytes32 public immutable RISK_MODEL_ID;
    /// @notice Fixed-point one at the model's decimals.
    int256 public immutable ONE;
    uint256 public immutable MAX_LIMIT_WEI;
    /// @notice Applicants with a default probability above this (fixed-point) are declined.
    int256 public immutable MAX_DEFAULT_PROBABILITY;
    uint32 public constant CALLBACK_GAS_LIMIT = 100_000;

    mapping(uint256 requestId => Application) private _applications;
    mapping(address borrower => uint256 limitWei) public creditLimitWei;
    mapping(address borrower => uint256 requestId) public pendingApplication;
    mapping(address borrower => uint256 amountWei) public refundsWei;

    event CreditApplied(address indexed borrower, uint256 indexed requestId);
    event CreditDecided(
        address indexed borrower,
        uint256 indexed requestId,
        int256 defaultProbability,
        uint256 limitWei
    );
    event CreditApplicationFailed(
        address indexed borrower,
        uint256 indexed requestId,
        FailureReason reason
    );
    event RefundClaimed(address indexed borrower, uint256 amountWei);

    error ApplicationPending(uint256 requestId);
    error NothingToClaim();
    error TransferFailed();
    error InvalidThreshold(int256 maxDefaultProbability);
    /// @notice No open application of this contract has this request id.
    error UnknownApplication(uint256 requestId);
    /// @notice The hub has not refunded this request (it may still settle).
    error NotRefunded(uint256 requestId, RequestStatus status);

    constructor(
        IInferenceHub hub,
        bytes32 riskModelId,
        uint8 decimals,
        uint256 maxLimitWei,
        int256 maxDefaultProbability
    ) InferenceConsumer(hub) {
        RISK_MODEL_ID = riskModelId;
        ONE = int256(10 ** decimals);
        if (maxDefaultProbability < 0 || maxDefaultProbability > ONE)
            revert InvalidThreshold(maxDefaultProbability);
        MAX_LIMIT_WEI = maxLimitWei;
        MAX_DEFAULT_PROBABILITY = maxDefaultProbability;
    }

    /// @notice Applies for credit with the borrower's 16 features as a canonical tensor. Pay at least
    /// `INFERENCE_HUB.quote(RISK_MODEL_ID, CALLBACK_GAS_LIMIT)`.
    /// @param assignee The worker to answer first (see `IInferenceHub.requestInference`), or zero.
    function applyForCredit(
        bytes calldata features,
        address assignee,
        uint64 deadline
    ) external payable returns (uint256 requestId) {
        uint256 pending = pendingApplication[msg.sender];
        // A callback that failed (out of gas, say) leaves the application open; the hub's status
        // says whether the request is really still running.
        if (pending != 0 && INFERENCE_HUB.requestStatus(pending) < RequestStatus.Settled) {
            revert ApplicationPending(pending);
        }
        requestId = _requestInference(
            RISK_MODEL_ID,
            features,
            ProofMode.ATTESTED,
            assignee,
            CALLBACK_GAS_LIMIT,
            deadline,
            msg.value
        );
        // Same block, same config as the hub just used to price the request.
        IInferenceHub.Config memory cfg = INFERENCE_HUB.config();
        uint256 keptWei =
            uint256(CALLBACK_GAS_LIMIT) * cfg.callbackGasPriceWei + cfg.protocolFeeWei;
        // The hub accepted msg.value, so it covers both fees and fits in 96 bits.
        _applications[requestId] = Application(msg.sender, uint96(msg.value - keptWei));
        pendingApplication[msg.sender] = requestId;
        emit CreditApplied(msg.sender, requestId);
    }

    /// @notice Sends the caller the refunds of their failed applications.
    function claimRefund() external {
        uint256 amountWei = refundsWei[msg.sender];
        if (amountWei == 0) revert NothingToClaim();
        refundsWei[msg.sender] = 0;
        // The hub holds the refunds of every borrower as one balance of this contract: take it all
        // here (there is no owner to hand it to) and keep each borrower's share in `refundsWei`.
        if (address(this).balance < amountWei) _withdrawRefunds(payable(address(this)));
        emit RefundClaimed(msg.sender, amountWei);
        (bool ok, ) = msg.sender.call{value: amountWei}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice Credits the borrower with the refund of an application whose failure callback did
    /// not run to its end (out of gas, say): the hub refunded this contract all the same, and the
    /// borrower must not lose it. Anyone may call it.
    function recoverRefund(uint256 requestId) external {
        Application memory application = _applications[requestId];
        if (application.borrower == address(0)) revert UnknownApplication(requestId);
        RequestStatus status = INFERENCE_HUB.requestStatus(requestId);
        if (status != RequestStatus.Refunded && status != RequestStatus.Failed) {
            revert NotRefunded(requestId, status);
        }
        _onInferenceFailed(requestId, FailureReason.None);
    }

    /// @notice Receives refunds withdrawn from the hub.
    receive() external payable {}

    function _onInferenceResult(
        uint256 requestId,
        bytes32,
        bytes calldata output
    ) internal override {
        address borrower = _close(requestId);
        // Anyone may name this contract as a request's callback: act only on its own applications.
        if (borrower == address(0)) return;
        (bool ok, int32 value) = TensorCodec.tryElementAt(output, 0);
        // A malformed output must not revert: the borrower's application is closed either way.
        if (!ok) {
            emit CreditApplicationFailed(borrower, requestId, FailureReason.None);
            return;
        }
        int256 defaultProbability = value < 0 ? int256(0) : int256(value);
        uint256 limitWei =
            defaultProbability > MAX_DEFAULT_PROBABILITY
                ? 0
                : (MAX_LIMIT_WEI * uint256(ONE - defaultProbability)) / uint256(ONE);
        creditLimitWei[borrower] = limitWei;
        emit CreditDecided(borrower, requestId, defaultProbability, limitWei);
    }

    function _onInferenceFailed(uint256 requestId, FailureReason reason) internal override {
        uint256 refundableWei = _applications[requestId].refundableWei;
        address borrower = _close(requestId);
        if (borrower == address(0)) return; // not an application of this contract
        refundsWei[borrower] += refundableWei;
        emit CreditApplicationFailed(borrower, requestId, reason);
    }

    /// @dev Closes an application once: a second callback, or `recoverRefund` after a callback
    /// that ran, finds nothing.
    function _close(uint256 requestId) private returns (address borrower) {
        borrower = _applications[requestId].borrower;
        if (borrower == address(0)) return borrower;
        delete _applications[requestId];
        if (pendingApplication[borrower] == requestId) delete pendingApplication[borrower];
    }
}

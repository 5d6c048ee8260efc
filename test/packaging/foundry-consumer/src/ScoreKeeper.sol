// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceConsumer} from "@verity/solidity/consumer/InferenceConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {TensorCodec} from "@verity/solidity/libraries/TensorCodec.sol";
import {FailureReason, ProofMode} from "@verity/solidity/types/Inference.sol";

/// @notice A dapp developer's consumer, outside the Verity repository: asks a model for a score of
/// the caller and keeps it once the hub delivers a checked result.
contract ScoreKeeper is InferenceConsumer {
    bytes32 public immutable MODEL_ID;
    uint32 public constant CALLBACK_GAS_LIMIT = 80_000;
    address public immutable OWNER;

    mapping(uint256 requestId => address account) public accountOf;
    mapping(address account => int32 score) public scoreOf;
    mapping(address account => uint256 count) public failuresOf;

    event Scored(address indexed account, uint256 indexed requestId, int32 score);

    error NotOwner(address caller);

    constructor(IInferenceHub hub, bytes32 modelId) InferenceConsumer(hub) {
        MODEL_ID = modelId;
        OWNER = msg.sender;
    }

    /// @notice The hub credits a failed request's refund to this contract (the requester), and
    /// this contract has no receive(): its owner pays the refunds out to `to`.
    function withdrawRefunds(address payable to) external {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        _withdrawRefunds(to);
    }

    /// @notice Pay at least `INFERENCE_HUB.quote(MODEL_ID, CALLBACK_GAS_LIMIT)`.
    function requestScore(bytes calldata input) external payable returns (uint256 requestId) {
        requestId = _requestInference(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            address(0),
            CALLBACK_GAS_LIMIT,
            uint64(block.timestamp + 1 hours),
            msg.value
        );
        // Anyone may name this contract as a callback: remember which requests are ours.
        accountOf[requestId] = msg.sender;
    }

    function _onInferenceResult(
        uint256 requestId,
        bytes32,
        bytes calldata output
    ) internal override {
        address account = accountOf[requestId];
        if (account == address(0)) return; // not a request of this contract
        delete accountOf[requestId];
        (bool ok, int32 score) = TensorCodec.tryElementAt(output, 0);
        if (!ok) return; // never revert in a callback: the hub settles regardless
        scoreOf[account] = score;
        emit Scored(account, requestId, score);
    }

    function _onInferenceFailed(uint256 requestId, FailureReason) internal override {
        address account = accountOf[requestId];
        if (account == address(0)) return;
        delete accountOf[requestId];
        ++failuresOf[account];
    }
}

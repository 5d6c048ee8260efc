// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {TensorCodec} from "@verity/solidity/libraries/TensorCodec.sol";
import {FailureReason, ProofMode} from "@verity/solidity/types/Inference.sol";
import {IZkModelVerifier} from "./zk/IZkModelVerifier.sol";

/// @title ModelRegistry
/// @notice Permissionless registry of ONNX models keyed by content hash. Each model is controlled by
/// its owner alone; there is no admin.
contract ModelRegistry is IModelRegistry {
    /// @dev Every defined `ProofMode` as a bit: ATTESTED | ZK | QUORUM.
    uint8 private constant ALL_PROOF_MODES = uint8((1 << (uint8(type(ProofMode).max) + 1)) - 1);
    /// @dev Outputs are fixed-point int32: more than 18 decimals cannot hold a unit.
    uint8 private constant MAX_DECIMALS = 18;
    uint8 private constant ZK_MODE = uint8(1 << uint8(ProofMode.ZK));
    /// @inheritdoc IModelRegistry
    /// @dev The same number as `MAX_INPUT_BYTES` of packages/contracts/src/limits.ts (which
    /// says why it is this one), and at most 2^16 - 1: `Model.inputBytes` is 16 bits wide.
    uint256 public constant MAX_INPUT_BYTES = 65_535;

    mapping(bytes32 modelId => Model) private _models;

    modifier onlyModelOwner(bytes32 modelId) {
        _checkModelOwner(modelId);
        _;
    }

    /// @inheritdoc IModelRegistry
    function registerModel(bytes32 modelId, ModelSpec calldata spec) external {
        if (modelId == bytes32(0)) revert ModelIdZero();
        Model storage model = _models[modelId];
        if (model.status != ModelStatus.None) revert ModelAlreadyRegistered(modelId);
        if (bytes(spec.uri).length == 0) revert EmptyUri();
        uint256 inputBytes = TensorCodec.encodedLength(spec.inputShape);
        uint256 outputBytes = TensorCodec.encodedLength(spec.outputShape);
        if (inputBytes == 0 || outputBytes == 0) revert InvalidShape();
        if (inputBytes > MAX_INPUT_BYTES) revert InputTooLarge(inputBytes, MAX_INPUT_BYTES);
        if (spec.decimals > MAX_DECIMALS) revert InvalidDecimals(spec.decimals);
        if (spec.proofModes == 0 || spec.proofModes & ~ALL_PROOF_MODES != 0) {
            revert InvalidProofModes(spec.proofModes);
        }
        if (spec.previousVersion != bytes32(0)) _checkModelOwner(spec.previousVersion);

        model.owner = msg.sender;
        model.feeWei = spec.feeWei;
        model.status = ModelStatus.Active;
        // ZK takes effect only with the model's ZK commitment (see `setZkCommitment`).
        model.proofModes = spec.proofModes & ~ZK_MODE;
        model.decimals = spec.decimals;
        // inputBytes is at most MAX_INPUT_BYTES, which fits 16 bits; outputBytes is below 2^32 (see TensorCodec.MAX_ELEMENTS).
        model.inputBytes = uint16(inputBytes);
        model.outputBytes = uint32(outputBytes);
        model.previousVersion = spec.previousVersion;
        model.uri = spec.uri;
        model.inputShape = spec.inputShape;
        model.outputShape = spec.outputShape;
        emit ModelRegistered(
            modelId,
            msg.sender,
            spec.previousVersion,
            spec.uri,
            spec.inputShape,
            spec.outputShape,
            spec.decimals,
            spec.feeWei,
            spec.proofModes
        );
    }

    /// @inheritdoc IModelRegistry
    function setFee(bytes32 modelId, uint64 feeWei) external onlyModelOwner(modelId) {
        _models[modelId].feeWei = feeWei;
        emit ModelFeeUpdated(modelId, feeWei);
    }

    /// @inheritdoc IModelRegistry
    function deprecate(bytes32 modelId) external onlyModelOwner(modelId) {
        Model storage model = _models[modelId];
        if (model.status != ModelStatus.Active) revert ModelNotActive(modelId);
        model.status = ModelStatus.Deprecated;
        emit ModelDeprecated(modelId);
    }

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(
        bytes32 modelId,
        address newOwner
    ) external onlyModelOwner(modelId) {
        if (newOwner == address(0)) revert InvalidOwner(newOwner);
        _models[modelId].owner = newOwner;
        emit ModelOwnershipTransferred(modelId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function setZkCommitment(
        bytes32 modelId,
        ZkCommitment calldata zk
    ) external onlyModelOwner(modelId) {
        Model storage model = _models[modelId];
        if (model.zk.verifier != address(0)) revert ZkCommitmentAlreadySet(modelId);
        if (zk.circuitHash == bytes32(0) || zk.verifyingKeyHash == bytes32(0)) {
            revert InvalidZkCommitment();
        }
        if (zk.verifier.code.length == 0) revert VerifierHasNoCode(zk.verifier);
        _checkVerifierMatches(zk);
        model.zk = zk;
        model.proofModes |= ZK_MODE;
        emit ModelZkCommitmentSet(modelId, zk.circuitHash, zk.verifyingKeyHash, zk.verifier);
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistry
    function getRequestTerms(bytes32 modelId) external view returns (RequestTerms memory terms) {
        Model storage model = _models[modelId];
        terms = RequestTerms({
            owner: model.owner,
            feeWei: model.feeWei,
            status: model.status,
            proofModes: model.proofModes,
            inputBytes: model.inputBytes,
            zkVerifier: address(0)
        });
        if (terms.status == ModelStatus.None) revert ModelNotFound(modelId);
        // The ZK bit is set exactly when a verifier is bound: other models skip the second slot.
        if (terms.proofModes & ZK_MODE != 0) terms.zkVerifier = model.zk.verifier;
    }

    /// @inheritdoc IModelRegistry
    function inputFailure(
        bytes32 modelId,
        bytes calldata input
    ) external view returns (FailureReason) {
        if (!TensorCodec.isCanonical(input)) return FailureReason.InputUndecodable;
        if (!TensorCodec.hasShape(input, _models[modelId].inputShape)) {
            return FailureReason.InputShapeMismatch;
        }
        return FailureReason.None;
    }

    /// @inheritdoc IModelRegistry
    function zkVerifierOf(bytes32 modelId) external view returns (address) {
        return _models[modelId].zk.verifier;
    }

    /// @dev A verifier whose key or circuit is not the one committed to, or whose proofs a
    /// front-runner could take (public binding), is refused before any request can rely on it.
    /// Any failing call counts as a mismatch.
    function _checkVerifierMatches(ZkCommitment calldata zk) private pure {
        IZkModelVerifier verifier = IZkModelVerifier(zk.verifier);
        try verifier.verifyingKeyHash() returns (bytes32 keyHash) {
            if (keyHash != zk.verifyingKeyHash) revert VerifierMismatch(zk.verifier);
        } catch {
            revert VerifierMismatch(zk.verifier);
        }
        try verifier.circuitHash() returns (bytes32 circuitHash) {
            if (circuitHash != zk.circuitHash) revert VerifierMismatch(zk.verifier);
        } catch {
            revert VerifierMismatch(zk.verifier);
        }
        try verifier.binding() returns (IZkModelVerifier.Binding binding) {
            if (binding != IZkModelVerifier.Binding.Commitment)
                revert VerifierMismatch(zk.verifier);
        } catch {
            revert VerifierMismatch(zk.verifier);
        }
    }

    function _checkModelOwner(bytes32 modelId) private view {
        Model storage model = _models[modelId];
        if (model.status == ModelStatus.None) revert ModelNotFound(modelId);
        if (model.owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }
}

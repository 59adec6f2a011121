// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IHalo2Verifier} from "./interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";
import {FieldDecode} from "./libraries/FieldDecode.sol";
import {SignalLib} from "./libraries/SignalLib.sol";

/// @title SignalOracle
/// @notice Single-feed oracle of proven model signals: every round carries an EZKL proof that the model
/// (identified by {modelId}, verified by {verifier}) maps the recorded inputs to the recorded logits.
/// @dev The model parameters are fixed at construction. They are kept together (verifier, input count,
/// output scale, model id) so that a later feed/model registry can key them by feed without changing the
/// round logic in {submit}.
contract SignalOracle is ISignalOracle, Ownable {
    /// @inheritdoc ISignalOracle
    uint256 public constant NUM_OUTPUTS = 3;

    /// @inheritdoc ISignalOracle
    IHalo2Verifier public immutable verifier;

    /// @inheritdoc ISignalOracle
    bytes32 public immutable modelId;

    /// @inheritdoc ISignalOracle
    uint256 public immutable nInputs;

    /// @inheritdoc ISignalOracle
    uint8 public immutable outputScale;

    /// @inheritdoc ISignalOracle
    mapping(address account => bool allowed) public isSubmitter;

    /// @inheritdoc ISignalOracle
    uint256 public latestRoundId;

    mapping(uint256 roundId => Round round) private _rounds;

    /// @param initialOwner Owner, who manages the submitters.
    /// @param verifier_ The EZKL verifier of the model circuit.
    /// @param modelId_ Identifier of the model, e.g. the sha256 of its ONNX file.
    /// @param nInputs_ Number of input instances before the {NUM_OUTPUTS} outputs.
    /// @param outputScale_ Fixed-point exponent of the outputs (EZKL's output scale).
    constructor(address initialOwner, IHalo2Verifier verifier_, bytes32 modelId_, uint256 nInputs_, uint8 outputScale_)
        Ownable(initialOwner)
    {
        if (address(verifier_).code.length == 0) revert SignalOracleInvalidVerifier(address(verifier_));
        if (nInputs_ == 0) revert SignalOracleInvalidInputCount(nInputs_);
        verifier = verifier_;
        modelId = modelId_;
        nInputs = nInputs_;
        outputScale = outputScale_;
        emit ModelConfigured(modelId_, address(verifier_), nInputs_, outputScale_);
    }

    /// @inheritdoc ISignalOracle
    function setSubmitter(address account, bool allowed) external onlyOwner {
        isSubmitter[account] = allowed;
        emit SubmitterSet(account, allowed);
    }

    /// @inheritdoc ISignalOracle
    function submit(uint64 decisionMinute, bytes calldata proof, uint256[] calldata instances)
        external
        returns (uint256 roundId)
    {
        if (!isSubmitter[msg.sender]) revert SignalOracleUnauthorizedSubmitter(msg.sender);
        uint256 inputs = nInputs;
        if (instances.length != inputs + NUM_OUTPUTS) {
            revert SignalOracleInstanceCountMismatch(inputs + NUM_OUTPUTS, instances.length);
        }
        _checkDecisionMinute(decisionMinute);
        _verify(proof, instances);

        int256[3] memory logits;
        for (uint256 i = 0; i < NUM_OUTPUTS; ++i) {
            logits[i] = FieldDecode.toInt(instances[inputs + i]);
        }
        Signal signal = SignalLib.fromLogits(logits);
        bytes32 inputHash = keccak256(abi.encodePacked(instances[:inputs]));

        roundId = ++latestRoundId;
        _rounds[roundId] = Round({
            signal: signal,
            decisionMinute: decisionMinute,
            submittedAt: uint64(block.timestamp),
            submitter: msg.sender,
            logits: logits,
            inputHash: inputHash
        });
        emit SignalSubmitted(roundId, decisionMinute, signal, logits, inputHash, msg.sender);
    }

    /// @inheritdoc ISignalOracle
    function latestRound() external view returns (Round memory) {
        return getRound(latestRoundId);
    }

    /// @inheritdoc ISignalOracle
    function latestSignal() external view returns (Signal signal, uint64 decisionMinute, uint256 roundId) {
        roundId = latestRoundId;
        Round storage round = _rounds[roundId];
        return (round.signal, round.decisionMinute, roundId);
    }

    /// @inheritdoc ISignalOracle
    function getRound(uint256 roundId) public view returns (Round memory) {
        if (roundId == 0 || roundId > latestRoundId) revert SignalOracleUnknownRound(roundId);
        return _rounds[roundId];
    }

    /// @dev Whole minute, its candle closed, strictly after the latest round (no replays, no reordering).
    function _checkDecisionMinute(uint64 decisionMinute) private view {
        if (decisionMinute % 60 != 0) revert SignalOracleUnalignedMinute(decisionMinute);
        // The decision candle must have closed (its minute ended): a signal on a still-open candle would rest on
        // data that can change, and a far-future minute would block all later rounds.
        // forge-lint: disable-next-line(block-timestamp)
        if (uint256(decisionMinute) + 60 > block.timestamp) {
            revert SignalOracleMinuteInFuture(decisionMinute, block.timestamp);
        }
        uint256 latest = latestRoundId;
        if (latest != 0) {
            uint64 latestMinute = _rounds[latest].decisionMinute;
            if (decisionMinute <= latestMinute) revert SignalOracleRoundNotAfterLatest(decisionMinute, latestMinute);
        }
    }

    /// @dev The EZKL verifier reverts on a bad proof; a revert and a `false` are both a rejection.
    function _verify(bytes calldata proof, uint256[] calldata instances) private {
        IHalo2Verifier verifier_ = verifier;
        try verifier_.verifyProof(proof, instances) returns (bool ok) {
            if (ok) return;
        } catch {}
        revert SignalOracleProofRejected(address(verifier_));
    }
}

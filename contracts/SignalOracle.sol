// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {IHalo2Verifier} from "./interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";
import {FieldDecode} from "./libraries/FieldDecode.sol";
import {SignalLib} from "./libraries/SignalLib.sol";

/// @title SignalOracle
/// @notice Feeds of proven model signals. Every round carries an EZKL proof that a registered model maps the
/// round's inputs to its logits; the oracle verifies it, decodes the logits exactly, and stores the signal.
/// @dev Roles (OpenZeppelin AccessControl): `DEFAULT_ADMIN_ROLE` registers models, creates feeds, moves feeds
/// to new models and manages roles; `SUBMITTER_ROLE` is the allow-list of node operators. Model versions are
/// immutable once registered and numbered in registration order; operators are numbered when first granted
/// `SUBMITTER_ROLE`. A round stores both numbers, so it fits two storage slots (see {StoredRound}): fresh
/// slots are most of the oracle's own gas.
contract SignalOracle is ISignalOracle, AccessControl {
    /// @inheritdoc ISignalOracle
    uint256 public constant NUM_OUTPUTS = 3;

    /// @inheritdoc ISignalOracle
    bytes32 public constant SUBMITTER_ROLE = keccak256("SUBMITTER_ROLE");

    /// @dev A round as stored, in two slots: everything but the binding in the first (248 bits), the binding in
    /// the second. Times fit 40 bits until the year 36812, logits fit 32 bits by {FieldDecode.MAX_MAGNITUDE},
    /// the model and the submitter are their registration numbers.
    struct StoredRound {
        Signal signal;
        uint32 submitterNumber;
        uint40 decisionMinute;
        uint40 submittedAt;
        uint32 modelNumber;
        int32 logitSell;
        int32 logitHold;
        int32 logitBuy;
        bytes32 inputBinding;
    }

    /// @dev A feed as stored: the public {Feed} plus its model's registration number and its latest round's
    /// decision minute (read by every submission, so it sits in the slot the submission writes anyway).
    struct StoredFeed {
        bytes32 modelId;
        uint32 maxDelay;
        uint64 latestRoundId;
        uint32 modelNumber;
        uint40 latestDecisionMinute;
    }

    mapping(bytes32 modelId => Model) private _models;
    /// @dev Model ids by registration number; number 0 is "no model".
    bytes32[] private _modelIds;
    mapping(bytes32 modelId => uint32 number) private _modelNumbers;
    mapping(bytes32 feedId => StoredFeed) private _feeds;
    mapping(bytes32 feedId => mapping(uint256 roundId => StoredRound)) private _rounds;
    /// @dev Operators by number, in the order they were first granted `SUBMITTER_ROLE`; number 0 is "none".
    /// Numbers are never reused: a revoked operator's rounds keep naming it.
    address[] private _operators;
    mapping(address operator => uint32 number) private _operatorNumbers;

    /// @param admin The account given `DEFAULT_ADMIN_ROLE`.
    constructor(address admin) {
        // Number 0 means "none" for models and operators: reserve it before any role is granted.
        _modelIds.push(bytes32(0));
        _operators.push(address(0));
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ----------------------------------------------------------------------------------------- admin

    /// @inheritdoc ISignalOracle
    function registerModel(bytes32 modelId, Model calldata model) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (modelId == bytes32(0) || address(_models[modelId].verifier) != address(0)) {
            revert SignalOracleModelExists(modelId);
        }
        if (address(model.verifier).code.length == 0) revert SignalOracleInvalidVerifier(address(model.verifier));
        Signal[3] calldata cls = model.outputClass;
        if (cls[0] == cls[1] || cls[0] == cls[2] || cls[1] == cls[2]) revert SignalOracleInvalidOutputClasses();
        _models[modelId] = model;
        // Fewer than 2^32 models can ever be registered by an admin paying gas for each.
        // forge-lint: disable-next-line(unsafe-typecast)
        _modelNumbers[modelId] = uint32(_modelIds.length);
        _modelIds.push(modelId);
        emit ModelRegistered(
            modelId,
            address(model.verifier),
            model.nInputs,
            model.commitmentOffset,
            model.commitmentLength,
            model.outputScale,
            model.outputClass
        );
    }

    /// @inheritdoc ISignalOracle
    function createFeed(bytes32 feedId, string calldata description, bytes32 modelId, uint32 maxDelay)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (feedId == bytes32(0) || _feeds[feedId].modelId != bytes32(0)) {
            revert SignalOracleFeedExists(feedId);
        }
        _requireModel(modelId);
        if (maxDelay == 0) revert SignalOracleInvalidMaxDelay();
        _feeds[feedId] = StoredFeed({
            modelId: modelId,
            maxDelay: maxDelay,
            latestRoundId: 0,
            modelNumber: _modelNumbers[modelId],
            latestDecisionMinute: 0
        });
        emit FeedCreated(feedId, description, modelId, maxDelay);
    }

    /// @inheritdoc ISignalOracle
    function setFeedModel(bytes32 feedId, bytes32 modelId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StoredFeed storage feed = _requireFeed(feedId);
        _requireModel(modelId);
        bytes32 previous = feed.modelId;
        feed.modelId = modelId;
        feed.modelNumber = _modelNumbers[modelId];
        emit FeedModelSet(feedId, previous, modelId);
    }

    /// @inheritdoc ISignalOracle
    function setFeedMaxDelay(bytes32 feedId, uint32 maxDelay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StoredFeed storage feed = _requireFeed(feedId);
        if (maxDelay == 0) revert SignalOracleInvalidMaxDelay();
        feed.maxDelay = maxDelay;
        emit FeedMaxDelaySet(feedId, maxDelay);
    }

    // ------------------------------------------------------------------------------------ submission

    /// @inheritdoc ISignalOracle
    function submit(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes calldata proof,
        uint256[] calldata instances
    ) external onlyRole(SUBMITTER_ROLE) returns (uint256 roundId) {
        StoredFeed storage feed = _requireFeed(feedId);
        Model storage model = _checkSubmission(feed, modelId, decisionMinute, proof, instances);
        _verify(model.verifier, proof, instances);
        roundId = feed.latestRoundId + 1;
        // A feed cannot reach 2^64 rounds (one per minute at most).
        // forge-lint: disable-next-line(unsafe-typecast)
        feed.latestRoundId = uint64(roundId);
        // Minutes are far below 2^40 (the year 36812).
        // forge-lint: disable-next-line(unsafe-typecast)
        feed.latestDecisionMinute = uint40(decisionMinute);
        _record(feedId, roundId, feed, decisionMinute, model, proof, instances);
    }

    // ----------------------------------------------------------------------------------------- reads

    /// @inheritdoc ISignalOracle
    function getModel(bytes32 modelId) external view returns (Model memory) {
        return _requireModel(modelId);
    }

    /// @inheritdoc ISignalOracle
    function getFeed(bytes32 feedId) external view returns (Feed memory) {
        StoredFeed storage f = _requireFeed(feedId);
        return Feed({modelId: f.modelId, maxDelay: f.maxDelay, latestRoundId: f.latestRoundId});
    }

    /// @inheritdoc ISignalOracle
    function latestRoundId(bytes32 feedId) external view returns (uint256) {
        return _requireFeed(feedId).latestRoundId;
    }

    /// @inheritdoc ISignalOracle
    function latestSignal(bytes32 feedId)
        external
        view
        returns (Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId)
    {
        roundId = _requireFeed(feedId).latestRoundId;
        StoredRound storage r = _rounds[feedId][roundId];
        // Round 0 is never written: all zero, and model number 0 is the zero id.
        return (r.signal, r.decisionMinute, roundId, _modelIds[r.modelNumber]);
    }

    /// @inheritdoc ISignalOracle
    function getRound(bytes32 feedId, uint256 roundId) external view returns (Round memory) {
        if (roundId == 0 || roundId > _requireFeed(feedId).latestRoundId) {
            revert SignalOracleUnknownRound(feedId, roundId);
        }
        StoredRound storage r = _rounds[feedId][roundId];
        return Round({
            signal: r.signal,
            decisionMinute: r.decisionMinute,
            submittedAt: r.submittedAt,
            submitter: _operators[r.submitterNumber],
            modelId: _modelIds[r.modelNumber],
            logits: [int256(r.logitSell), int256(r.logitHold), int256(r.logitBuy)],
            inputBinding: r.inputBinding
        });
    }

    // -------------------------------------------------------------------------------------- internals

    /// @dev Numbers an operator the first time it is granted `SUBMITTER_ROLE`, so a round can name its
    /// submitter in 32 bits. The role itself stays OpenZeppelin's: revoking it stops submissions.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (role == SUBMITTER_ROLE && _operatorNumbers[account] == 0) {
            // Fewer than 2^32 operators can ever be granted by an admin paying gas for each.
            // forge-lint: disable-next-line(unsafe-typecast)
            _operatorNumbers[account] = uint32(_operators.length);
            _operators.push(account);
        }
    }

    function _requireFeed(bytes32 feedId) private view returns (StoredFeed storage feed) {
        feed = _feeds[feedId];
        if (feed.modelId == bytes32(0)) revert SignalOracleUnknownFeed(feedId);
    }

    function _requireModel(bytes32 modelId) private view returns (Model storage model) {
        model = _models[modelId];
        if (address(model.verifier) == address(0)) revert SignalOracleUnknownModel(modelId);
    }

    /// @dev Whole minute; its candle closed, at most `maxDelay` seconds ago; strictly after the latest round.
    function _checkDecisionMinute(StoredFeed memory f, uint64 decisionMinute) private view {
        if (decisionMinute % 60 != 0) revert SignalOracleUnalignedMinute(decisionMinute);
        // A signal on a still-open candle would rest on data that can change, and a far-future minute would
        // block all later rounds. Minute granularity makes a validator's timestamp drift irrelevant.
        uint256 closedAt = uint256(decisionMinute) + 60;
        // forge-lint: disable-next-line(block-timestamp)
        if (closedAt > block.timestamp) revert SignalOracleMinuteInFuture(decisionMinute, block.timestamp);
        uint256 delay = block.timestamp - closedAt;
        if (delay > f.maxDelay) revert SignalOracleStaleMinute(decisionMinute, delay, f.maxDelay);
        if (f.latestRoundId != 0 && decisionMinute <= f.latestDecisionMinute) {
            revert SignalOracleRoundNotAfterLatest(decisionMinute, f.latestDecisionMinute);
        }
    }

    /// @dev Everything but the proof: feed and model, instance count, commitment range, decision minute.
    function _checkSubmission(
        StoredFeed storage feed,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes calldata proof,
        uint256[] calldata instances
    ) private view returns (Model storage model) {
        StoredFeed memory f = feed;
        if (modelId != f.modelId) revert SignalOracleWrongModel(f.modelId, modelId);
        model = _models[modelId];
        uint256 expected = uint256(model.nInputs) + NUM_OUTPUTS;
        if (instances.length != expected) revert SignalOracleInstanceCountMismatch(expected, instances.length);
        uint256 commitmentEnd = uint256(model.commitmentOffset) + model.commitmentLength;
        if (proof.length < commitmentEnd) revert SignalOracleProofTooShort(commitmentEnd, proof.length);
        _checkDecisionMinute(f, decisionMinute);
    }

    /// @dev Decodes the verified outputs, computes the input binding, stores the round and emits its event.
    function _record(
        bytes32 feedId,
        uint256 roundId,
        StoredFeed storage feed,
        uint64 decisionMinute,
        Model storage model,
        bytes calldata proof,
        uint256[] calldata instances
    ) private {
        (int256[3] memory logits, bytes32 inputBinding) = _decode(model, proof, instances);
        Signal signal = SignalLib.fromLogits(logits);
        // Casts are safe: logits are bounded by FieldDecode.MAX_MAGNITUDE < 2^31; minutes and timestamps
        // are far below 2^40.
        // forge-lint: disable-next-item(unsafe-typecast)
        _rounds[feedId][roundId] = StoredRound({
            signal: signal,
            submitterNumber: _operatorNumbers[msg.sender],
            decisionMinute: uint40(decisionMinute),
            submittedAt: uint40(block.timestamp),
            modelNumber: feed.modelNumber,
            logitSell: int32(logits[0]),
            logitHold: int32(logits[1]),
            logitBuy: int32(logits[2]),
            inputBinding: inputBinding
        });
        emit SignalSubmitted(feedId, roundId, feed.modelId, decisionMinute, signal, logits, inputBinding, msg.sender);
    }

    /// @dev The logits in class order, and keccak256(input instances ++ commitment bytes of the proof).
    function _decode(Model storage model, bytes calldata proof, uint256[] calldata instances)
        private
        view
        returns (int256[3] memory logits, bytes32 inputBinding)
    {
        uint256 nInputs = model.nInputs;
        for (uint256 i = 0; i < NUM_OUTPUTS; ++i) {
            logits[uint8(model.outputClass[i])] = FieldDecode.toInt(instances[nInputs + i]);
        }
        uint256 offset = model.commitmentOffset;
        inputBinding = keccak256(abi.encodePacked(instances[:nInputs], proof[offset:offset + model.commitmentLength]));
    }

    /// @dev The EZKL verifier reverts on a bad proof; a revert and a `false` are both a rejection.
    function _verify(IHalo2Verifier verifier, bytes calldata proof, uint256[] calldata instances) private {
        try verifier.verifyProof(proof, instances) returns (bool ok) {
            if (ok) return;
        } catch {}
        revert SignalOracleProofRejected(address(verifier));
    }
}

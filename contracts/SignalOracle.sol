// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {
    AccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IHalo2Verifier} from "./interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";
import {FieldDecode} from "./libraries/FieldDecode.sol";
import {ReportSignatures} from "./libraries/ReportSignatures.sol";
import {SignalLib} from "./libraries/SignalLib.sol";

/// @title SignalOracle
/// @notice Feeds of proven model signals. Every round carries an EZKL proof that a registered model maps the
/// round's inputs to its logits; the oracle verifies it, decodes the logits exactly, and stores the signal.
/// Each round also carries the signatures of `k` of the feed's `n` committee members over its report (feed,
/// model, minute, the proof's input binding, committee version), EIP-712 under this oracle's domain.
/// @dev Roles (OpenZeppelin AccessControlDefaultAdminRules): one `DEFAULT_ADMIN_ROLE` holder (deployed: a
/// `TimelockController`) registers models, creates feeds, moves feeds to new models, sets their committees and
/// manages roles, and hands its role over only in two steps, {ADMIN_TRANSFER_DELAY} apart; `SUBMITTER_ROLE` is
/// the allow-list of transmitters.
/// Model versions are immutable once registered and numbered in registration order; operators are numbered
/// when first granted `SUBMITTER_ROLE`. A round stores both numbers and its signers' bitmap, so it fits two
/// storage slots (see {StoredRound}): fresh slots are most of the oracle's own gas. The feed's current
/// committee version and threshold sit in the feed slot every submission reads and writes anyway, and its
/// members are named by each submission and checked against one hash of model and members in the feed's other
/// slot ({ReportSignatures-submissionKey}), so a signature costs its `ecrecover` and no storage read.
contract SignalOracle is ISignalOracle, AccessControlDefaultAdminRules, EIP712 {
    /// @inheritdoc ISignalOracle
    uint256 public constant NUM_OUTPUTS = 3;

    /// @inheritdoc ISignalOracle
    bytes32 public constant SUBMITTER_ROLE = keccak256("SUBMITTER_ROLE");

    /// @inheritdoc ISignalOracle
    /// @dev 16: a round's signers are a 16-bit bitmap in the round's first slot, which is full with it (see
    /// {StoredRound}); a third slot per round would cost 22,100 gas. Sixteen independent operators tolerate
    /// five faulty ones at `k = 11` (`3f + 1`), and a submission's cost grows with `k`, not `n`.
    uint256 public constant MAX_COMMITTEE_SIZE = 16;

    /// @notice A new feed's heartbeat: one decision minute, i.e. a round every minute ({ISignalOracle-Feed}).
    uint32 public constant DEFAULT_HEARTBEAT = 60;

    /// @notice The longest heartbeat: one day (a signal about the next hour vouched for by a day's silence is
    /// already a stretch).
    uint32 public constant MAX_HEARTBEAT = 1 days;

    /// @inheritdoc ISignalOracle
    bytes32 public constant REPORT_TYPEHASH = ReportSignatures.REPORT_TYPEHASH;

    /// @notice Initial delay between the start and the acceptance of a transfer of the admin role (OpenZeppelin's
    /// `defaultAdminDelay`, changeable by the admin through the same two steps).
    uint48 public constant ADMIN_TRANSFER_DELAY = 2 days;

    /// @dev Code of an EIP-7702 delegated account: `0xef0100` followed by the 20-byte delegate address.
    bytes3 private constant DELEGATION_PREFIX = 0xef0100;
    uint256 private constant DELEGATION_LENGTH = 23;

    /// @dev A round as stored, in two slots: everything but the binding in the first (256 bits), the binding in
    /// the second. The decision minute fits 40 bits until the year 36812; the submission time is stored as its
    /// delay after the decision candle closed, at most the feed's 32-bit `maxDelay`; logits fit 32 bits by
    /// {FieldDecode.MAX_MAGNITUDE}; the model and the submitter are their registration numbers; `signers` has
    /// bit `i` set for committee member `i` (of the version in force at the round, see {Committee}).
    struct StoredRound {
        Signal signal;
        uint16 signers;
        uint32 submitterNumber;
        uint40 decisionMinute;
        uint32 submissionDelay;
        uint32 modelNumber;
        int32 logitSell;
        int32 logitHold;
        int32 logitBuy;
        bytes32 inputBinding;
    }

    /// @dev A feed as stored, in two slots, both read by every submission: the hash of its model id and its
    /// current committee's members ({ReportSignatures-submissionKey}); then its model's registration number
    /// (0: no such feed; the id is `_modelIds[modelNumber]`), its latest round's decision minute and its current
    /// committee's version and threshold, and its heartbeat (in the slot the submission writes anyway). Version 0
    /// is "no committee".
    struct StoredFeed {
        bytes32 submissionKey;
        uint32 maxDelay;
        uint64 latestRoundId;
        uint32 modelNumber;
        uint40 latestDecisionMinute;
        uint32 committeeVersion;
        uint8 committeeThreshold;
        uint32 heartbeat;
    }

    /// @dev One version of a feed's committee, for reads and for the next {submissionKey} (submissions name the
    /// members themselves). `firstRoundId` is the feed's next round when the version was set: the version of
    /// round `r` is the latest one with `firstRoundId <= r`.
    struct Committee {
        address[] members;
        uint64 firstRoundId;
    }

    mapping(bytes32 modelId => Model) private _models;
    /// @dev The verifier's code hash of each model, recorded at registration.
    mapping(bytes32 modelId => bytes32 codeHash) private _verifierCodeHashes;
    /// @dev Model ids by registration number; number 0 is "no model".
    bytes32[] private _modelIds;
    mapping(bytes32 modelId => uint32 number) private _modelNumbers;
    mapping(bytes32 feedId => StoredFeed) private _feeds;
    mapping(bytes32 feedId => mapping(uint256 roundId => StoredRound)) private _rounds;
    /// @dev Operators by number, in the order they were first granted `SUBMITTER_ROLE`; number 0 is "none".
    /// Numbers are never reused: a revoked operator's rounds keep naming it.
    address[] private _operators;
    mapping(address operator => uint32 number) private _operatorNumbers;
    /// @dev Committees by feed and version; versions are never overwritten (a rotation writes a new one).
    mapping(bytes32 feedId => mapping(uint32 version => Committee)) private _committees;

    /// @param admin The account given `DEFAULT_ADMIN_ROLE` (deployed: a timelock).
    constructor(address admin)
        AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin)
        EIP712("VeriRegime SignalOracle", "1")
    {
        // Number 0 means "none" for models and operators (the admin role above is not numbered).
        _modelIds.push(bytes32(0));
        _operators.push(address(0));
    }

    // ----------------------------------------------------------------------------------------- admin

    /// @inheritdoc ISignalOracle
    function registerModel(bytes32 modelId, Model calldata model) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (modelId == bytes32(0) || address(_models[modelId].verifier) != address(0)) {
            revert SignalOracleModelExists(modelId);
        }
        address verifier = address(model.verifier);
        // A delegated account's code is a pointer its owner can re-aim at any code: never a verifier.
        if (
            verifier.code.length == 0
                || (verifier.code.length == DELEGATION_LENGTH && bytes3(verifier.code) == DELEGATION_PREFIX)
        ) {
            revert SignalOracleInvalidVerifier(verifier);
        }
        Signal[3] calldata cls = model.outputClass;
        if (cls[0] == cls[1] || cls[0] == cls[2] || cls[1] == cls[2]) revert SignalOracleInvalidOutputClasses();
        _models[modelId] = model;
        _verifierCodeHashes[modelId] = verifier.codehash;
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
        if (feedId == bytes32(0) || _feeds[feedId].modelNumber != 0) {
            revert SignalOracleFeedExists(feedId);
        }
        _requireModel(modelId);
        if (maxDelay == 0) revert SignalOracleInvalidMaxDelay();
        _feeds[feedId] = StoredFeed({
            submissionKey: ReportSignatures.submissionKey(modelId, new address[](0)),
            maxDelay: maxDelay,
            latestRoundId: 0,
            modelNumber: _modelNumbers[modelId],
            latestDecisionMinute: 0,
            committeeVersion: 0,
            committeeThreshold: 0,
            heartbeat: DEFAULT_HEARTBEAT
        });
        emit FeedCreated(feedId, description, modelId, maxDelay);
        emit FeedHeartbeatSet(feedId, DEFAULT_HEARTBEAT);
    }

    /// @inheritdoc ISignalOracle
    function setFeedModel(bytes32 feedId, bytes32 modelId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StoredFeed storage feed = _requireFeed(feedId);
        _requireModel(modelId);
        bytes32 previous = _modelIds[feed.modelNumber];
        feed.submissionKey =
            ReportSignatures.submissionKey(modelId, _committees[feedId][feed.committeeVersion].members);
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

    /// @inheritdoc ISignalOracle
    function setFeedHeartbeat(bytes32 feedId, uint32 heartbeat) external onlyRole(DEFAULT_ADMIN_ROLE) {
        StoredFeed storage feed = _requireFeed(feedId);
        if (heartbeat < 60 || heartbeat > MAX_HEARTBEAT || heartbeat % 60 != 0) {
            revert SignalOracleInvalidHeartbeat(heartbeat);
        }
        feed.heartbeat = heartbeat;
        emit FeedHeartbeatSet(feedId, heartbeat);
    }

    /// @inheritdoc ISignalOracle
    /// @dev The new version's members are written under a fresh key: nothing of the old version is cleared. Later
    /// submissions must name the new members (the feed's {submissionKey} changes with them) and are signed under
    /// the new version.
    function setCommittee(bytes32 feedId, address[] calldata members, uint8 threshold)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        StoredFeed storage feed = _requireFeed(feedId);
        uint256 size = members.length;
        if (size == 0 || size > MAX_COMMITTEE_SIZE) revert SignalOracleInvalidCommitteeSize(size, MAX_COMMITTEE_SIZE);
        if (threshold == 0 || threshold > size) revert SignalOracleInvalidThreshold(threshold, size);
        uint32 version = feed.committeeVersion + 1;
        Committee storage committee = _committees[feedId][version];
        for (uint256 i = 0; i < size; ++i) {
            address member = members[i];
            if (member == address(0)) revert SignalOracleInvalidCommitteeMember(i, member);
            for (uint256 j = 0; j < i; ++j) {
                if (members[j] == member) revert SignalOracleInvalidCommitteeMember(i, member);
            }
        }
        committee.members = members;
        feed.submissionKey = ReportSignatures.submissionKey(_modelIds[feed.modelNumber], members);
        committee.firstRoundId = feed.latestRoundId + 1;
        feed.committeeVersion = version;
        feed.committeeThreshold = threshold;
        emit CommitteeSet(feedId, version, members, threshold);
    }

    // ------------------------------------------------------------------------------------ submission

    /// @inheritdoc ISignalOracle
    /// @dev Order: the cheap checks, then the committee's signatures over the report of the binding this proof
    /// carries, then the proof (a submission the committee did not sign costs little), then the round.
    function submit(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes calldata proof,
        uint256[] calldata instances,
        address[] calldata committee,
        bytes calldata signatures
    ) external returns (uint256) {
        // The role check without the modifier, whose argument would hold a stack slot for the whole call.
        _checkRole(SUBMITTER_ROLE);
        _checkFeed(feedId, modelId, committee, decisionMinute);
        Model storage model = _checkModel(modelId, proof, instances);
        bytes32 inputBinding = _inputBinding(model, proof, instances);
        uint256 signers = _checkSignatures(feedId, modelId, decisionMinute, inputBinding, committee, signatures);
        _verify(model.verifier, proof, instances);
        return _record(feedId, modelId, decisionMinute, model, instances, inputBinding, signers);
    }

    // ----------------------------------------------------------------------------------------- reads

    /// @inheritdoc ISignalOracle
    function getModel(bytes32 modelId) external view returns (Model memory) {
        return _requireModel(modelId);
    }

    /// @inheritdoc ISignalOracle
    function verifierCodeHash(bytes32 modelId) external view returns (bytes32) {
        _requireModel(modelId);
        return _verifierCodeHashes[modelId];
    }

    /// @inheritdoc ISignalOracle
    function getFeed(bytes32 feedId) external view returns (Feed memory) {
        StoredFeed storage f = _requireFeed(feedId);
        return Feed({
            modelId: _modelIds[f.modelNumber],
            maxDelay: f.maxDelay,
            latestRoundId: f.latestRoundId,
            heartbeat: f.heartbeat
        });
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
        // Round 0 is never written: its zeros would read as SELL.
        if (roundId == 0) revert SignalOracleNoRound(feedId);
        StoredRound storage r = _rounds[feedId][roundId];
        return (r.signal, r.decisionMinute, roundId, _modelIds[r.modelNumber]);
    }

    /// @inheritdoc ISignalOracle
    function currentSignal(bytes32 feedId)
        external
        view
        returns (Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId, uint256 validUntil)
    {
        StoredFeed storage f = _requireFeed(feedId);
        roundId = f.latestRoundId;
        if (roundId == 0) revert SignalOracleNoRound(feedId);
        StoredRound storage r = _rounds[feedId][roundId];
        decisionMinute = r.decisionMinute;
        // The next round is due by decision minute `decisionMinute + heartbeat` and lands by its close plus
        // `maxDelay`; until then silence is "unchanged".
        validUntil = uint256(decisionMinute) + 60 + f.heartbeat + f.maxDelay;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= validUntil) revert SignalOracleNotCurrent(feedId, roundId, validUntil);
        return (r.signal, decisionMinute, roundId, _modelIds[r.modelNumber], validUntil);
    }

    /// @inheritdoc ISignalOracle
    function getRound(bytes32 feedId, uint256 roundId) external view returns (Round memory) {
        if (roundId == 0 || roundId > _requireFeed(feedId).latestRoundId) {
            revert SignalOracleUnknownRound(feedId, roundId);
        }
        StoredRound storage r = _rounds[feedId][roundId];
        uint64 decisionMinute = r.decisionMinute;
        return Round({
            signal: r.signal,
            decisionMinute: decisionMinute,
            submittedAt: decisionMinute + 60 + r.submissionDelay,
            submitter: _operators[r.submitterNumber],
            modelId: _modelIds[r.modelNumber],
            logits: [int256(r.logitSell), int256(r.logitHold), int256(r.logitBuy)],
            inputBinding: r.inputBinding
        });
    }

    /// @inheritdoc ISignalOracle
    function getRoundSigners(bytes32 feedId, uint256 roundId)
        external
        view
        returns (uint32 committeeVersion, uint256 signers, address[] memory signerAddresses)
    {
        StoredFeed storage feed = _requireFeed(feedId);
        if (roundId == 0 || roundId > feed.latestRoundId) revert SignalOracleUnknownRound(feedId, roundId);
        signers = _rounds[feedId][roundId].signers;
        // The latest version set before the round: versions' first rounds never decrease, and every round has
        // one (a feed without a committee accepts no round).
        uint32 low = 1;
        uint32 high = feed.committeeVersion;
        mapping(uint32 => Committee) storage committees = _committees[feedId];
        while (low < high) {
            uint32 mid = high - (high - low) / 2;
            if (committees[mid].firstRoundId <= roundId) low = mid;
            else high = mid - 1;
        }
        committeeVersion = low;
        address[] storage members = committees[low].members;
        signerAddresses = new address[](_popCount(signers));
        uint256 n = 0;
        for (uint256 i = 0; i < members.length; ++i) {
            // forge-lint: disable-next-line(incorrect-shift)
            if (signers & (1 << i) != 0) signerAddresses[n++] = members[i];
        }
    }

    /// @inheritdoc ISignalOracle
    function getCommittee(bytes32 feedId)
        external
        view
        returns (address[] memory members, uint8 threshold, uint32 version)
    {
        StoredFeed storage feed = _requireFeed(feedId);
        version = feed.committeeVersion;
        return (_committees[feedId][version].members, feed.committeeThreshold, version);
    }

    /// @inheritdoc ISignalOracle
    function reportDigest(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes32 inputBinding,
        uint32 committeeVersion
    ) external view returns (bytes32) {
        return _reportDigest(feedId, modelId, decisionMinute, inputBinding, committeeVersion);
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
        if (feed.modelNumber == 0) revert SignalOracleUnknownFeed(feedId);
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

    /// @dev The feed's part of the checks: it has a committee, the submission names its model and its committee's
    /// members in order ({ReportSignatures-submissionKey}), the decision minute.
    function _checkFeed(bytes32 feedId, bytes32 modelId, address[] calldata committee, uint64 decisionMinute)
        private
        view
    {
        StoredFeed memory f = _requireFeed(feedId);
        if (f.committeeVersion == 0) revert SignalOracleNoCommittee(feedId);
        if (ReportSignatures.submissionKeyCalldata(modelId, committee) != f.submissionKey) {
            // Which of the two was wrong (read only on the way out).
            bytes32 current = _modelIds[f.modelNumber];
            if (modelId != current) revert SignalOracleWrongModel(current, modelId);
            revert SignalOracleWrongCommittee(feedId, f.committeeVersion);
        }
        _checkDecisionMinute(f, decisionMinute);
    }

    /// @dev The model's part: instance count, commitment range, the verifier's code.
    function _checkModel(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        private
        view
        returns (Model storage model)
    {
        model = _models[modelId];
        uint256 expected = uint256(model.nInputs) + NUM_OUTPUTS;
        if (instances.length != expected) revert SignalOracleInstanceCountMismatch(expected, instances.length);
        uint256 commitmentEnd = uint256(model.commitmentOffset) + model.commitmentLength;
        if (proof.length < commitmentEnd) revert SignalOracleProofTooShort(commitmentEnd, proof.length);
        _checkVerifierCode(modelId, address(model.verifier));
    }

    /// @dev At least the threshold of signatures by distinct members of the current committee (`committee`,
    /// checked by {_checkSubmission}) over this round's report; returns the signers' bits.
    function _checkSignatures(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes32 inputBinding,
        address[] calldata committee,
        bytes calldata signatures
    ) private view returns (uint256 signers) {
        StoredFeed storage feed = _feeds[feedId];
        return ReportSignatures.check(
            _reportDigest(feedId, modelId, decisionMinute, inputBinding, feed.committeeVersion),
            signatures,
            feed.committeeThreshold,
            committee
        );
    }

    /// @dev The verifier still has the code it was registered with (its first access: the later call is warm).
    function _checkVerifierCode(bytes32 modelId, address verifier) private view {
        bytes32 registered = _verifierCodeHashes[modelId];
        bytes32 current = verifier.codehash;
        if (current != registered) revert SignalOracleVerifierCodeChanged(verifier, registered, current);
    }

    /// @dev Advances the feed, decodes the verified outputs, stores the round and emits its event.
    function _record(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        Model storage model,
        uint256[] calldata instances,
        bytes32 inputBinding,
        uint256 signers
    ) private returns (uint256 roundId) {
        StoredFeed storage feed = _feeds[feedId];
        roundId = feed.latestRoundId + 1;
        // A feed cannot reach 2^64 rounds (one per minute at most).
        // forge-lint: disable-next-line(unsafe-typecast)
        feed.latestRoundId = uint64(roundId);
        // Minutes are far below 2^40 (the year 36812).
        // forge-lint: disable-next-line(unsafe-typecast)
        feed.latestDecisionMinute = uint40(decisionMinute);
        int256[3] memory logits = _decodeLogits(model, instances);
        Signal signal = SignalLib.fromLogits(logits);
        // Casts are safe: logits are bounded by FieldDecode.MAX_MAGNITUDE < 2^31; minutes are far below 2^40;
        // the delay is at most the feed's 32-bit maxDelay (checked); signers are bits of at most
        // MAX_COMMITTEE_SIZE = 16 members.
        // forge-lint: disable-next-item(unsafe-typecast)
        _rounds[feedId][roundId] = StoredRound({
            signal: signal,
            signers: uint16(signers),
            submitterNumber: _operatorNumbers[msg.sender],
            decisionMinute: uint40(decisionMinute),
            submissionDelay: uint32(block.timestamp - decisionMinute - 60),
            modelNumber: feed.modelNumber,
            logitSell: int32(logits[0]),
            logitHold: int32(logits[1]),
            logitBuy: int32(logits[2]),
            inputBinding: inputBinding
        });
        _emitSubmitted(feedId, modelId, roundId, feed, signal, logits, inputBinding, signers);
    }

    /// @dev The round's event (apart from {_record}, whose stack is full).
    function _emitSubmitted(
        bytes32 feedId,
        bytes32 modelId,
        uint256 roundId,
        StoredFeed storage feed,
        Signal signal,
        int256[3] memory logits,
        bytes32 inputBinding,
        uint256 signers
    ) private {
        emit SignalSubmitted(
            feedId,
            roundId,
            modelId,
            feed.latestDecisionMinute,
            signal,
            logits,
            inputBinding,
            msg.sender,
            feed.committeeVersion,
            signers
        );
    }

    /// @dev The logits in class order.
    function _decodeLogits(Model storage model, uint256[] calldata instances)
        private
        view
        returns (int256[3] memory logits)
    {
        uint256 nInputs = model.nInputs;
        for (uint256 i = 0; i < NUM_OUTPUTS; ++i) {
            logits[uint8(model.outputClass[i])] = FieldDecode.toInt(instances[nInputs + i]);
        }
    }

    /// @dev What the committee signs for the inputs ({ReportSignatures-bindingOf}).
    function _inputBinding(Model storage model, bytes calldata proof, uint256[] calldata instances)
        private
        view
        returns (bytes32)
    {
        return
            ReportSignatures.bindingOf(proof, instances, model.nInputs, model.commitmentOffset, model.commitmentLength);
    }

    /// @dev The EIP-712 digest of a report under this oracle's domain.
    function _reportDigest(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes32 inputBinding,
        uint32 committeeVersion
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            ReportSignatures.structHash(feedId, modelId, decisionMinute, inputBinding, committeeVersion)
        );
    }

    /// @dev Number of set bits (at most MAX_COMMITTEE_SIZE of them).
    function _popCount(uint256 bits) private pure returns (uint256 count) {
        for (; bits != 0; bits &= bits - 1) {
            ++count;
        }
    }

    /// @dev The EZKL verifier reverts on a bad proof; a revert and a `false` are both a rejection.
    function _verify(IHalo2Verifier verifier, bytes calldata proof, uint256[] calldata instances) private {
        try verifier.verifyProof(proof, instances) returns (bool ok) {
            if (ok) return;
        } catch {}
        revert SignalOracleProofRejected(address(verifier));
    }
}

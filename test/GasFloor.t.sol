// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {SignalOracle} from "../contracts/SignalOracle.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {FieldDecode} from "../contracts/libraries/FieldDecode.sol";
import {ReportSignatures} from "../contracts/libraries/ReportSignatures.sol";
import {SignalLib} from "../contracts/libraries/SignalLib.sol";
import {OracleTestBase, Report} from "./utils/OracleTestBase.sol";
import {ProofFixture} from "./utils/ProofFixture.sol";

/// @notice NOT a product contract: a measurement of how cheap a submission can get with the generated verifier
/// (issue 4's 450 k gas goal). It keeps what issue 5 asks of a submission (OpenZeppelin's allow-list, every check
/// of {SignalOracle.submit} including the committee's signatures, checked by the same code ({ReportSignatures}:
/// `k` members' EIP-712 signatures over the report, one member lookup per signature), the model's class order,
/// the same stored round and the same event) and takes every
/// storage saving the real oracle does not: `SUBMITTER_ROLE` and the operator's number in one slot (OpenZeppelin's
/// `hasRole` reads it), the feed in one slot, the model in one slot, and rounds in a ring of slots already
/// written once, so a submission rewrites two used slots (2 x 5,000 gas) instead of filling two fresh ones
/// (2 x 22,100). The ring keeps only the last `capacity` rounds: older ones would live in events only.
contract RingOracleFloor is AccessControl, EIP712 {
    bytes32 public constant SUBMITTER_ROLE = keccak256("SUBMITTER_ROLE");

    struct Operator {
        bool allowed;
        uint32 number;
    }

    struct Feed {
        uint16 modelNumber;
        uint32 maxDelay;
        uint64 latestRoundId;
        uint40 latestDecisionMinute;
        uint32 capacity;
        uint32 committeeVersion;
        uint8 threshold;
    }

    struct Model {
        IHalo2Verifier verifier;
        uint16 nInputs;
        uint16 commitmentOffset;
        uint16 commitmentLength;
        uint8 outputScale;
        // The class of each output, packed (a `Signal[3]` inside a struct would take a slot of its own).
        ISignalOracle.Signal class0;
        ISignalOracle.Signal class1;
        ISignalOracle.Signal class2;
        uint16 number;
    }

    mapping(address operator => Operator) private _operators;
    mapping(bytes32 feedId => Feed) private _feeds;
    mapping(bytes32 modelId => Model) private _models;
    /// @dev The same round as the oracle's (two slots), at `roundId % capacity`.
    mapping(bytes32 feedId => mapping(uint256 slot => SignalOracle.StoredRound)) private _rounds;
    /// @dev The committee's members, hashed (the oracle hashes them with the model id into the feed slot it reads
    /// anyway; the floor's feed slot is full, so the hash costs it one cold read).
    mapping(bytes32 feedId => bytes32 membersHash) private _committeeHash;

    /// @dev What {_check} found (one stack slot: the submission's parameters fill the rest).
    struct Checked {
        Feed feed;
        Model model;
        bytes32 inputBinding;
        bytes32 digest;
    }

    error Rejected(uint256 check);

    constructor() EIP712("VeriRegime SignalOracle", "1") {}

    /// @dev One operator, model, feed and committee (version 1), and the ring written once (a measurement:
    /// anyone may call it).
    function configure(
        address operator,
        bytes32 feedId,
        bytes32 modelId,
        Model calldata model,
        uint32 capacity,
        address[] calldata members,
        uint8 threshold
    ) external {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(SUBMITTER_ROLE, operator);
        _models[modelId] = model;
        _feeds[feedId] = Feed({
            modelNumber: model.number,
            maxDelay: 10 minutes,
            latestRoundId: 0,
            latestDecisionMinute: 0,
            capacity: capacity,
            committeeVersion: 1,
            threshold: threshold
        });
        _committeeHash[feedId] = keccak256(abi.encode(members));
        for (uint256 i = 0; i < capacity; ++i) {
            _rounds[feedId][i] =
                SignalOracle.StoredRound(ISignalOracle.Signal.Hold, 1, 1, 1, 1, 1, 1, 1, 1, bytes32(uint256(1)));
        }
    }

    /// @dev `SUBMITTER_ROLE` lives in the operator's slot, beside its number.
    function hasRole(bytes32 role, address account) public view override returns (bool) {
        return role == SUBMITTER_ROLE ? _operators[account].allowed : super.hasRole(role, account);
    }

    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role != SUBMITTER_ROLE) return super._grantRole(role, account);
        if (_operators[account].allowed) return false;
        _operators[account] = Operator({allowed: true, number: 1}); // one operator in this measurement
        emit RoleGranted(role, account, _msgSender());
        return true;
    }

    function submit(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes calldata proof,
        uint256[] calldata instances,
        address[] calldata committee,
        bytes calldata signatures
    ) external returns (uint256) {
        _checkRole(SUBMITTER_ROLE); // as the oracle: no modifier argument on the stack
        if (keccak256(abi.encode(committee)) != _committeeHash[feedId]) revert Rejected(10);
        Checked memory c = _check(feedId, modelId, decisionMinute, proof, instances);
        uint256 signers = ReportSignatures.check(c.digest, signatures, c.feed.threshold, committee);
        _verify(c.model.verifier, proof, instances);
        return _store(feedId, modelId, c.feed, _decode(c.model, instances), c.inputBinding, signers);
    }

    /// @dev The checks of {SignalOracle}: feed, model, instance count, commitment range, decision minute; then the
    /// round's input binding and the digest of its report.
    function _check(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes calldata proof,
        uint256[] calldata instances
    ) private view returns (Checked memory c) {
        Feed memory feed = _feeds[feedId];
        c.feed = feed;
        if (feed.capacity == 0 || feed.committeeVersion == 0) revert Rejected(1);
        Model memory model = _models[modelId];
        c.model = model;
        if (model.number != feed.modelNumber) revert Rejected(2);
        if (instances.length != uint256(model.nInputs) + 3) revert Rejected(3);
        if (proof.length < uint256(model.commitmentOffset) + model.commitmentLength) revert Rejected(4);
        if (decisionMinute % 60 != 0) revert Rejected(5);
        uint256 closedAt = uint256(decisionMinute) + 60;
        // forge-lint: disable-next-line(block-timestamp)
        if (closedAt > block.timestamp) revert Rejected(6);
        if (block.timestamp - closedAt > feed.maxDelay) revert Rejected(7);
        if (feed.latestRoundId != 0 && decisionMinute <= feed.latestDecisionMinute) revert Rejected(8);
        // forge-lint: disable-next-line(unsafe-typecast)
        feed.latestDecisionMinute = uint40(decisionMinute);
        c.inputBinding = _binding(model, proof, instances);
        c.digest = _hashTypedDataV4(
            ReportSignatures.structHash(feedId, modelId, decisionMinute, c.inputBinding, feed.committeeVersion)
        );
    }

    function _verify(IHalo2Verifier verifier, bytes calldata proof, uint256[] calldata instances) private {
        try verifier.verifyProof(proof, instances) returns (bool ok) {
            if (!ok) revert Rejected(9);
        } catch {
            revert Rejected(9);
        }
    }

    function _binding(Model memory model, bytes calldata proof, uint256[] calldata instances)
        private
        pure
        returns (bytes32)
    {
        return
            ReportSignatures.bindingOf(proof, instances, model.nInputs, model.commitmentOffset, model.commitmentLength);
    }

    function _decode(Model memory model, uint256[] calldata instances) private pure returns (int256[3] memory logits) {
        uint256 n = model.nInputs;
        logits[uint8(model.class0)] = FieldDecode.toInt(instances[n]);
        logits[uint8(model.class1)] = FieldDecode.toInt(instances[n + 1]);
        logits[uint8(model.class2)] = FieldDecode.toInt(instances[n + 2]);
    }

    function _store(
        bytes32 feedId,
        bytes32 modelId,
        Feed memory feed,
        int256[3] memory logits,
        bytes32 inputBinding,
        uint256 signers
    ) private returns (uint256 roundId) {
        roundId = feed.latestRoundId + 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        feed.latestRoundId = uint64(roundId);
        ISignalOracle.Signal signal = SignalLib.fromLogits(logits);
        _feeds[feedId] = feed;
        // forge-lint: disable-next-item(unsafe-typecast)
        _rounds[feedId][feed.latestRoundId % feed.capacity] = SignalOracle.StoredRound({
            signal: signal,
            signers: uint16(signers),
            submitterNumber: _operators[msg.sender].number,
            decisionMinute: feed.latestDecisionMinute,
            submissionDelay: uint32(block.timestamp - feed.latestDecisionMinute - 60),
            modelNumber: feed.modelNumber,
            logitSell: int32(logits[0]),
            logitHold: int32(logits[1]),
            logitBuy: int32(logits[2]),
            inputBinding: inputBinding
        });
        emit ISignalOracle.SignalSubmitted(
            feedId,
            feed.latestRoundId,
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
}

/// @notice The floor of a submission's gas with the generated verifier, measured beside the real oracle's
/// (`snapshots/GasFloor.json` against `snapshots/SignalOracle.json`, same fixture, same conditions).
contract GasFloorTest is OracleTestBase {
    RingOracleFloor internal floor;

    function setUp() public override {
        super.setUp();
        floor = new RingOracleFloor();
    }

    /// @dev The floor with the test committee (its 4 members) needing `k` signatures.
    function _configure(uint8 k) internal {
        floor.configure(
            submitter,
            FEED,
            fx.modelId,
            RingOracleFloor.Model({
                verifier: verifier,
                // forge-lint: disable-next-line(unsafe-typecast)
                nInputs: uint16(fx.nInputs),
                commitmentOffset: fx.commitmentOffset,
                commitmentLength: fx.commitmentLength,
                outputScale: fx.outputScale,
                class0: ISignalOracle.Signal.Sell,
                class1: ISignalOracle.Signal.Hold,
                class2: ISignalOracle.Signal.Buy,
                number: 1
            }),
            4,
            members,
            k
        );
    }

    /// @dev The fixture's report signed by the first `k` members for the floor (its own EIP-712 domain).
    function _floorSigs(uint256 k) internal view returns (bytes memory) {
        Report memory report = _report(FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances);
        report.committeeVersion = 1;
        return _signBy(_firstMembers(k), _digest(report, block.chainid, address(floor)));
    }

    /// @dev The cheapest submission at `k = 1` (beside the oracle's `submit`) and `k = 3` (beside `submitK3`): it
    /// checks the same signatures, stores the same round as {SignalOracle} and emits the same event (checked).
    function test_gas_ringFloorSubmission() public {
        _measure(1, "ringSubmit");
    }

    function test_gas_ringFloorSubmissionK3() public {
        _measure(3, "ringSubmitK3");
    }

    function _measure(uint8 k, string memory name) internal {
        _configure(k);
        vm.cool(address(floor)); // measure as in a transaction of its own: the configuration was just written
        ProofFixture memory f = fx;
        bytes32 binding = _binding(f);
        bytes memory sigs = _floorSigs(k);
        vm.expectEmit(true, true, true, true, address(floor));
        emit ISignalOracle.SignalSubmitted(
            FEED,
            1,
            f.modelId,
            f.decisionMinute,
            ISignalOracle.Signal(f.signal),
            f.logits,
            binding,
            submitter,
            1,
            (1 << k) - 1
        );
        address[] memory committee = members;
        vm.prank(submitter);
        uint256 roundId = floor.submit(FEED, f.modelId, f.decisionMinute, f.proof, f.instances, committee, sigs);
        uint256 used = vm.snapshotGasLastCall("GasFloor", name);
        assertEq(roundId, 1);
        emit log_named_uint("signatures", k);
        emit log_named_uint("ring floor submit execution gas", used);
    }

    /// @dev The floor checks the signatures as the oracle does: too few, or over the oracle's domain, refused.
    function test_ringFloor_checksTheSignatures() public {
        _configure(3);
        ProofFixture memory f = fx;
        bytes memory two = _floorSigs(2);
        address[] memory committee = members;
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, 3, 2));
        vm.prank(submitter);
        floor.submit(FEED, f.modelId, f.decisionMinute, f.proof, f.instances, committee, two);

        bytes memory forOracle = _sigs(FEED, f.modelId, f.decisionMinute, f.proof, f.instances);
        vm.expectPartialRevert(ISignalOracle.SignalOracleSignerNotMember.selector);
        vm.prank(submitter);
        floor.submit(FEED, f.modelId, f.decisionMinute, f.proof, f.instances, committee, forOracle);
    }
}

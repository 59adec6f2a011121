// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";

import {SignalOracle} from "../../contracts/SignalOracle.sol";
import {IHalo2Verifier} from "../../contracts/interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "../../contracts/interfaces/ISignalOracle.sol";
import {FieldDecode} from "../../contracts/libraries/FieldDecode.sol";
import {Halo2Verifier} from "../../contracts/generated/Halo2Verifier.sol";
import {ProofFixture, ProofFixtureLib} from "./ProofFixture.sol";

/// @notice A committee's report, as the EIP-712 struct `Report`.
struct Report {
    bytes32 feedId;
    bytes32 modelId;
    uint64 decisionMinute;
    bytes32 inputBinding;
    uint32 committeeVersion;
}

/// @notice Shared set-up: the model's real EZKL verifier, real proofs of the shipped student (one per class),
/// and an oracle with the model registered, one feed with a 3-of-4 committee, and one allowed submitter
/// (transmitter). The clock starts one minute after the HOLD fixture's decision minute (its candle just closed).
/// Reports are hashed and signed here independently of the oracle (EIP-712 spelled out, `vm.sign`), and the
/// helpers make no call to the oracle before the submission, so `vm.expectRevert` applies to `submit`.
abstract contract OracleTestBase is Test {
    string internal constant FIXTURE_PATH = "test/fixtures/proof.json";
    string internal constant FIXTURE_DIR = "test/fixtures/";
    bytes32 internal constant FEED = keccak256("BTCUSDT-1m");
    uint32 internal constant MAX_DELAY = 10 minutes;
    uint256 internal constant COMMITTEE_SIZE = 4;
    uint8 internal constant THRESHOLD = 3;
    uint256 internal constant SIGNATURE_LENGTH = 65;

    /// @dev EIP-712, written out: the oracle's hashing is checked against these, not derived from it.
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant REPORT_TYPEHASH = keccak256(
        "Report(bytes32 feedId,bytes32 modelId,uint64 decisionMinute,bytes32 inputBinding,uint32 committeeVersion)"
    );
    string internal constant DOMAIN_NAME = "VeriRegime SignalOracle";
    string internal constant DOMAIN_VERSION = "1";

    address internal admin = makeAddr("admin");
    address internal submitter = makeAddr("submitter");

    IHalo2Verifier internal verifier;
    SignalOracle internal oracle;
    ProofFixture internal fx;

    /// @dev The committee members (in index order) and their private keys.
    address[] internal members;
    uint256[] internal memberKeys;
    /// @dev What the tests set through {_setCommittee}: each feed's committee version and threshold.
    mapping(bytes32 feedId => uint32) internal committeeVersion;
    mapping(bytes32 feedId => uint8) internal committeeThreshold;
    mapping(bytes32 feedId => address[]) internal committeeMembers;

    function setUp() public virtual {
        verifier = IHalo2Verifier(address(new Halo2Verifier()));
        fx = ProofFixtureLib.load(vm, FIXTURE_PATH);
        oracle = new SignalOracle(admin);
        for (uint256 i = 0; i < COMMITTEE_SIZE; ++i) {
            (address member, uint256 key) = makeAddrAndKey(string.concat("member", vm.toString(i)));
            members.push(member);
            memberKeys.push(key);
        }
        vm.startPrank(admin);
        oracle.registerModel(fx.modelId, _model(fx));
        oracle.createFeed(FEED, "BTCUSDT 1m, 60-minute horizon", fx.modelId, MAX_DELAY);
        oracle.grantRole(oracle.SUBMITTER_ROLE(), submitter);
        vm.stopPrank();
        _setCommittee(FEED, members, THRESHOLD);
        vm.warp(fx.decisionMinute + 60);
    }

    /// @dev Sets `feedId`'s committee (as the admin) and tracks its version and threshold.
    function _setCommittee(bytes32 feedId, address[] memory committee, uint8 threshold) internal {
        vm.prank(admin);
        oracle.setCommittee(feedId, committee, threshold);
        committeeVersion[feedId] += 1;
        committeeThreshold[feedId] = threshold;
        committeeMembers[feedId] = committee;
    }

    /// @dev Reference EIP-712 digest of `report` under the domain of `verifyingContract` on chain `chainId`.
    function _digest(Report memory report, uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        bytes32 domainSeparator = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256(bytes(DOMAIN_NAME)),
                keccak256(bytes(DOMAIN_VERSION)),
                chainId,
                verifyingContract
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                REPORT_TYPEHASH,
                report.feedId,
                report.modelId,
                report.decisionMinute,
                report.inputBinding,
                report.committeeVersion
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @dev The digest of `report` for {oracle} on the current chain.
    function _digest(Report memory report) internal view returns (bytes32) {
        return _digest(report, block.chainid, address(oracle));
    }

    /// @dev One 65-byte signature `r ‖ s ‖ v` of `digest`.
    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev The signatures of `digest` by members `indices`, packed in that order.
    function _signBy(uint256[] memory indices, bytes32 digest) internal view returns (bytes memory sigs) {
        for (uint256 i = 0; i < indices.length; ++i) {
            sigs = bytes.concat(sigs, _sign(memberKeys[indices[i]], digest));
        }
    }

    /// @dev The first `count` members' indices: 0, 1, ..., count - 1.
    function _firstMembers(uint256 count) internal pure returns (uint256[] memory indices) {
        indices = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            indices[i] = i;
        }
    }

    /// @dev The report of a submission: its input binding and the feed's current committee version.
    function _report(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes memory proof,
        uint256[] memory instances
    ) internal view returns (Report memory) {
        return Report({
            feedId: feedId,
            modelId: modelId,
            decisionMinute: decisionMinute,
            inputBinding: _bindingOf(fx, proof, instances),
            committeeVersion: committeeVersion[feedId]
        });
    }

    /// @dev The signatures an honest committee gives a submission: its first `threshold` members sign its report.
    function _sigs(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes memory proof,
        uint256[] memory instances
    ) internal view returns (bytes memory) {
        Report memory report = _report(feedId, modelId, decisionMinute, proof, instances);
        return _signBy(_firstMembers(committeeThreshold[feedId]), _digest(report));
    }

    /// @dev The model registry entry of a fixture's circuit, outputs in class order SELL, HOLD, BUY.
    function _model(ProofFixture memory f) internal view returns (ISignalOracle.Model memory) {
        return ISignalOracle.Model({
            verifier: verifier,
            // forge-lint: disable-next-line(unsafe-typecast)
            nInputs: uint16(f.nInputs),
            commitmentOffset: f.commitmentOffset,
            commitmentLength: f.commitmentLength,
            outputScale: f.outputScale,
            outputClass: [ISignalOracle.Signal.Sell, ISignalOracle.Signal.Hold, ISignalOracle.Signal.Buy]
        });
    }

    /// @dev The fixture proving `signal` (0 SELL, 1 HOLD, 2 BUY): a real proof on a real window.
    function _fixtureOf(ISignalOracle.Signal signal) internal view returns (ProofFixture memory) {
        string[3] memory names = ["proof_sell.json", "proof_hold.json", "proof_buy.json"];
        return ProofFixtureLib.load(vm, string.concat(FIXTURE_DIR, names[uint8(signal)]));
    }

    /// @dev Reference field encoding of a signed value (independent of {FieldDecode}).
    function _encode(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : FieldDecode.P - uint256(-x);
    }

    /// @dev The members of `feedId`'s current committee as set by {_setCommittee}, in order: what a submission
    /// names (tracked here, not read from the oracle, so that no call comes between an `expectRevert` and it).
    function _committeeOf(bytes32 feedId) internal view returns (address[] memory) {
        return committeeMembers[feedId];
    }

    /// @dev Submits to {FEED} as the submitter, signed by the committee (the proof may still be refused).
    function _submit(uint64 decisionMinute, bytes memory proof, uint256[] memory instances) internal returns (uint256) {
        return _submitAs(submitter, FEED, fx.modelId, decisionMinute, proof, instances);
    }

    /// @dev Submits as `transmitter`, signed by the first `threshold` members of `feedId`'s committee.
    function _submitAs(
        address transmitter,
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes memory proof,
        uint256[] memory instances
    ) internal returns (uint256) {
        bytes memory sigs = _sigs(feedId, modelId, decisionMinute, proof, instances);
        address[] memory committee = _committeeOf(feedId);
        vm.prank(transmitter);
        return oracle.submit(feedId, modelId, decisionMinute, proof, instances, committee, sigs);
    }

    function _submitFixture() internal returns (uint256) {
        return _submit(fx.decisionMinute, fx.proof, fx.instances);
    }

    /// @dev A copy of the fixture's instances with entry `index` replaced by `value`.
    function _instancesWith(uint256 index, uint256 value) internal view returns (uint256[] memory instances) {
        instances = fx.instances;
        instances[index] = value;
    }

    /// @dev Reference input binding: keccak256 of the input instances, then the commitment bytes.
    function _binding(ProofFixture memory f) internal pure returns (bytes32) {
        return _bindingOf(f, f.proof, f.instances);
    }

    /// @dev The same for `proof` and `instances` read with `f`'s layout; zero when they are too short for it (the
    /// oracle refuses such a submission before it looks at signatures).
    function _bindingOf(ProofFixture memory f, bytes memory proof, uint256[] memory instances)
        internal
        pure
        returns (bytes32)
    {
        if (proof.length < uint256(f.commitmentOffset) + f.commitmentLength || instances.length < f.nInputs) {
            return bytes32(0);
        }
        bytes memory buf;
        for (uint256 i = 0; i < f.nInputs; ++i) {
            buf = bytes.concat(buf, bytes32(instances[i]));
        }
        for (uint256 i = 0; i < f.commitmentLength; ++i) {
            buf = bytes.concat(buf, proof[f.commitmentOffset + i]);
        }
        return keccak256(buf);
    }
}

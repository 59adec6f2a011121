// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {SignalOracle} from "../contracts/SignalOracle.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {OracleTestBase, Report} from "./utils/OracleTestBase.sol";
import {ProofFixture} from "./utils/ProofFixture.sol";

/// @notice The committee: its administration, the EIP-712 report, every way a signature set is refused, rotation,
/// threshold edges, and the two attacks it exists for (replaying a real proof, a rogue transmitter).
contract SignalOracleCommitteeTest is OracleTestBase {
    bytes32 internal constant ETH = keccak256("ETHUSDT-1m");
    /// @dev secp256k1 group order: `n - s` is the malleated twin of a signature's `s`.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal stranger;
    uint256 internal strangerKey;

    function setUp() public override {
        super.setUp();
        (stranger, strangerKey) = makeAddrAndKey("stranger");
    }

    // ------------------------------------------------------------------------------------- helpers

    /// @dev The fixture's report for {FEED} at `minute` under the current committee.
    function _fixtureReport(uint64 minute) internal view returns (Report memory) {
        return _report(FEED, fx.modelId, minute, fx.proof, fx.instances);
    }

    /// @dev Members `indices` sign `report` for {oracle}.
    function _signReport(uint256[] memory indices, Report memory report) internal view returns (bytes memory) {
        return _signBy(indices, _digest(report));
    }

    /// @dev Submits the fixture at its minute with `sigs`, as the submitter.
    function _submitFixtureWith(bytes memory sigs) internal returns (uint256) {
        address[] memory committee = _committeeOf(FEED);
        vm.prank(submitter);
        return oracle.submit(FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances, committee, sigs);
    }

    /// @dev The address a 65-byte signature recovers for `digest` (what the oracle will name as the non-member).
    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        bytes32 r;
        bytes32 s;
        for (uint256 i = 0; i < 32; ++i) {
            r |= bytes32(sig[i]) >> (8 * i);
            s |= bytes32(sig[32 + i]) >> (8 * i);
        }
        return ecrecover(digest, uint8(sig[64]), r, s);
    }

    function _expectNotMember(uint256 index, address signer) internal {
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleSignerNotMember.selector, index, signer));
    }

    function _indices(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory indices) {
        indices = new uint256[](3);
        (indices[0], indices[1], indices[2]) = (a, b, c);
    }

    /// @dev `size` fresh members with their keys.
    function _newCommittee(string memory prefix, uint256 size)
        internal
        returns (address[] memory addrs, uint256[] memory keys)
    {
        addrs = new address[](size);
        keys = new uint256[](size);
        for (uint256 i = 0; i < size; ++i) {
            (addrs[i], keys[i]) = makeAddrAndKey(string.concat(prefix, vm.toString(i)));
        }
    }

    /// @dev `keys` sign `digest`, packed in order.
    function _signWith(uint256[] memory keys, bytes32 digest) internal pure returns (bytes memory sigs) {
        for (uint256 i = 0; i < keys.length; ++i) {
            sigs = bytes.concat(sigs, _sign(keys[i], digest));
        }
    }

    // ------------------------------------------------------------------------------ administration

    function test_setUp_setsTheCommittee() public view {
        (address[] memory m, uint8 threshold, uint32 version) = oracle.getCommittee(FEED);
        assertEq(m, members);
        assertEq(threshold, THRESHOLD);
        assertEq(version, 1);
        assertEq(oracle.MAX_COMMITTEE_SIZE(), 16);
    }

    function test_setCommittee_emitsAndStartsANewVersion() public {
        address[] memory two = new address[](2);
        (two[0], two[1]) = (members[3], members[1]);
        vm.expectEmit(true, true, false, true);
        emit ISignalOracle.CommitteeSet(FEED, 2, two, 2);
        vm.prank(admin);
        oracle.setCommittee(FEED, two, 2);
        (address[] memory m, uint8 threshold, uint32 version) = oracle.getCommittee(FEED);
        assertEq(m, two);
        assertEq(threshold, 2);
        assertEq(version, 2);
    }

    function test_setCommittee_revertsOnBadArguments() public {
        address[] memory m = members;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, submitter, oracle.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(submitter);
        oracle.setCommittee(FEED, m, 1);

        vm.startPrank(admin);
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        oracle.setCommittee(unknown, m, 1);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidCommitteeSize.selector, 0, 16));
        oracle.setCommittee(FEED, new address[](0), 1);
        (address[] memory big,) = _newCommittee("big", 17);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidCommitteeSize.selector, 17, 16));
        oracle.setCommittee(FEED, big, 1);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidThreshold.selector, 0, 4));
        oracle.setCommittee(FEED, m, 0);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidThreshold.selector, 5, 4));
        oracle.setCommittee(FEED, m, 5);

        m[2] = address(0);
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidCommitteeMember.selector, 2, address(0))
        );
        oracle.setCommittee(FEED, m, 1);
        m[2] = members[2];
        m[3] = members[0];
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidCommitteeMember.selector, 3, members[0])
        );
        oracle.setCommittee(FEED, m, 1);
        vm.stopPrank();

        // Nothing changed.
        (, uint8 threshold, uint32 version) = oracle.getCommittee(FEED);
        assertEq(threshold, THRESHOLD);
        assertEq(version, 1);
    }

    function test_getCommittee_isEmptyBeforeTheFirstAndRevertsForUnknownFeed() public {
        vm.prank(admin);
        oracle.createFeed(ETH, "ETHUSDT", fx.modelId, MAX_DELAY);
        (address[] memory m, uint8 threshold, uint32 version) = oracle.getCommittee(ETH);
        assertEq(m.length, 0);
        assertEq(threshold, 0);
        assertEq(version, 0);
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        oracle.getCommittee(unknown);
    }

    /// @dev A feed without a committee accepts nothing, even signed by another feed's committee.
    function test_submit_revertsWithoutCommittee() public {
        vm.prank(admin);
        oracle.createFeed(ETH, "ETHUSDT", fx.modelId, MAX_DELAY);
        Report memory report = _report(ETH, fx.modelId, fx.decisionMinute, fx.proof, fx.instances);
        bytes memory sigs = _signReport(_firstMembers(THRESHOLD), report);
        address[] memory committee = _committeeOf(ETH);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleNoCommittee.selector, ETH));
        vm.prank(submitter);
        oracle.submit(ETH, fx.modelId, fx.decisionMinute, fx.proof, fx.instances, committee, sigs);
    }

    // ---------------------------------------------------------------------------------- the report

    /// @dev The oracle hashes the report exactly as the test does (EIP-712 written out in {OracleTestBase}).
    function test_reportDigest_matchesTheReferenceHashing() public view {
        Report memory report = _fixtureReport(fx.decisionMinute);
        assertEq(
            oracle.reportDigest(
                report.feedId, report.modelId, report.decisionMinute, report.inputBinding, report.committeeVersion
            ),
            _digest(report)
        );
        assertEq(oracle.REPORT_TYPEHASH(), REPORT_TYPEHASH);
        assertEq(report.inputBinding, _binding(fx));
    }

    function test_eip712Domain_isTheDocumentedOne() public view {
        (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = oracle.eip712Domain();
        assertEq(fields, hex"0f"); // name, version, chainId, verifyingContract
        assertEq(name, "VeriRegime SignalOracle");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(oracle));
        assertEq(salt, bytes32(0));
        assertEq(extensions.length, 0);
    }

    // ------------------------------------------------------------------------------------ accepted

    function test_submit_recordsTheSignersAndTheTransmitter() public {
        bytes memory sigs = _signReport(_indices(3, 0, 2), _fixtureReport(fx.decisionMinute));
        vm.expectEmit(true, true, true, true);
        emit ISignalOracle.SignalSubmitted(
            FEED,
            1,
            fx.modelId,
            fx.decisionMinute,
            ISignalOracle.Signal(fx.signal),
            fx.logits,
            _binding(fx),
            submitter,
            1,
            0xD // members 0, 2 and 3
        );
        assertEq(_submitFixtureWith(sigs), 1);
        (uint32 version, uint256 signers, address[] memory addrs) = oracle.getRoundSigners(FEED, 1);
        assertEq(version, 1);
        assertEq(signers, 0xD);
        assertEq(addrs.length, 3);
        assertEq(addrs[0], members[0]);
        assertEq(addrs[1], members[2]);
        assertEq(addrs[2], members[3]);
        assertEq(oracle.getRound(FEED, 1).submitter, submitter, "the transmitter stays the round's submitter");
    }

    /// @dev More than the threshold is fine when every signature is a distinct member's.
    function test_submit_acceptsAllMembers() public {
        uint256[] memory all = _firstMembers(COMMITTEE_SIZE);
        _submitFixtureWith(_signReport(all, _fixtureReport(fx.decisionMinute)));
        (, uint256 signers,) = oracle.getRoundSigners(FEED, 1);
        assertEq(signers, 0xF);
    }

    function test_getRoundSigners_revertsForUnknownRound() public {
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 1));
        oracle.getRoundSigners(FEED, 1);
        _submitFixture();
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 0));
        oracle.getRoundSigners(FEED, 0);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 2));
        oracle.getRoundSigners(FEED, 2);
    }

    // ----------------------------------------------------------------------------------- rejections

    function test_submit_revertsOnTooFewSignatures() public {
        Report memory report = _fixtureReport(fx.decisionMinute);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, THRESHOLD, 0));
        _submitFixtureWith("");
        bytes memory two = _signReport(_firstMembers(THRESHOLD - 1), report);
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, THRESHOLD, THRESHOLD - 1)
        );
        _submitFixtureWith(two);
    }

    function test_submit_revertsOnDuplicateSigner() public {
        bytes memory sigs = _signReport(_indices(0, 1, 1), _fixtureReport(fx.decisionMinute));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleDuplicateSigner.selector, 2, members[1]));
        _submitFixtureWith(sigs);
    }

    /// @dev The same member twice with two different valid signatures (a malleated twin is refused as invalid,
    /// see below; a second honest signature of the same digest is identical under RFC 6979).
    function test_submit_revertsOnDuplicateSignerAmongEnough() public {
        bytes memory sigs = _signReport(_indices(2, 0, 1), _fixtureReport(fx.decisionMinute));
        sigs = bytes.concat(sigs, _sign(memberKeys[0], _digest(_fixtureReport(fx.decisionMinute))));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleDuplicateSigner.selector, 3, members[0]));
        _submitFixtureWith(sigs);
    }

    function test_submit_revertsOnNonMember() public {
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        bytes memory sigs = bytes.concat(_signBy(_firstMembers(2), digest), _sign(strangerKey, digest));
        _expectNotMember(2, stranger);
        _submitFixtureWith(sigs);
    }

    /// @dev The oracle keeps only a hash of the committee and each submission names its members: any list but the
    /// current committee, member for member and in order, is refused before a signature is looked at. Attack: a
    /// transmitter names a committee of its own keys (with their valid signatures), or the real one with a
    /// member swapped for its key, reordered, cut short or lengthened.
    function test_attack_submissionNamingAnotherCommitteeIsRefused() public {
        (address rogue, uint256 rogueKey) = makeAddrAndKey("rogue transmitter");
        (address sock, uint256 sockKey) = makeAddrAndKey("sock puppet");
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        bytes memory honest = _signBy(_firstMembers(THRESHOLD), digest);
        address[] memory current = _committeeOf(FEED);
        uint256 n = current.length;

        address[] memory own = new address[](n);
        own[0] = rogue;
        own[1] = sock;
        for (uint256 i = 2; i < n; ++i) own[i] = current[i];
        address[] memory swapped = _copy(current);
        swapped[0] = rogue;
        address[] memory reordered = _copy(current);
        (reordered[0], reordered[1]) = (current[1], current[0]);
        address[] memory short = new address[](n - 1);
        for (uint256 i = 0; i < n - 1; ++i) short[i] = current[i];
        address[] memory long = new address[](n + 1);
        for (uint256 i = 0; i < n; ++i) long[i] = current[i];
        long[n] = rogue;

        bytes memory ownSigs = bytes.concat(_sign(rogueKey, digest), _sign(sockKey, digest), _sign(memberKeys[2], digest));
        _expectWrongCommittee(own, ownSigs, 1);
        _expectWrongCommittee(swapped, honest, 1);
        _expectWrongCommittee(reordered, honest, 1);
        _expectWrongCommittee(short, honest, 1);
        _expectWrongCommittee(long, honest, 1);
        _expectWrongCommittee(new address[](0), honest, 1);
    }

    /// @dev The same check names a wrong model as such, and follows rotations: the previous list no longer passes.
    function test_submit_namedCommitteeFollowsRotationAndModel() public {
        bytes memory honest = _signBy(_firstMembers(THRESHOLD), _digest(_fixtureReport(fx.decisionMinute)));
        address[] memory current = _committeeOf(FEED);
        uint256 n = current.length;

        // A wrong model is still named as such, whatever list comes with it.
        bytes32 other = keccak256("another model");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleWrongModel.selector, fx.modelId, other));
        vm.prank(submitter);
        oracle.submit(FEED, other, fx.decisionMinute, fx.proof, fx.instances, current, honest);

        // After a rotation the previous list no longer passes, even with the same members' fresh signatures.
        address[] memory previous = _copy(current);
        (address[] memory newcomers,) = _newCommittee("next", 1);
        address[] memory next = _copy(current);
        next[n - 1] = newcomers[0];
        _setCommittee(FEED, next, THRESHOLD);
        bytes memory underV2 = _signBy(_firstMembers(THRESHOLD), _digest(_fixtureReport(fx.decisionMinute)));
        _expectWrongCommittee(previous, underV2, 2);

        // The honest list: accepted.
        assertEq(_submitFixtureWith(underV2), 1);
    }

    /// @dev Submits the fixture naming `committee` with `sigs`: refused as not the feed's committee `version`.
    function _expectWrongCommittee(address[] memory committee, bytes memory sigs, uint32 version) internal {
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleWrongCommittee.selector, FEED, version));
        vm.prank(submitter);
        oracle.submit(FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances, committee, sigs);
    }

    function _copy(address[] memory a) internal pure returns (address[] memory b) {
        b = new address[](a.length);
        for (uint256 i = 0; i < a.length; ++i) b[i] = a[i];
    }

    /// @dev A transmitter is not a signer: its SUBMITTER_ROLE does not make its signature count.
    function test_submit_revertsOnTransmittersOwnSignature() public {
        (address rogue, uint256 rogueKey) = makeAddrAndKey("rogue transmitter");
        bytes32 role = oracle.SUBMITTER_ROLE();
        vm.prank(admin);
        oracle.grantRole(role, rogue);
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        bytes memory sigs = bytes.concat(_sign(rogueKey, digest), _signBy(_firstMembers(2), digest));
        address[] memory committee = _committeeOf(FEED);
        _expectNotMember(0, rogue);
        vm.prank(rogue);
        oracle.submit(FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances, committee, sigs);
    }

    function test_submit_revertsOnMalformedSignatures() public {
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        bytes memory good = _signBy(_firstMembers(THRESHOLD), digest);

        // Not a whole number of 65-byte signatures.
        bytes memory cut = new bytes(good.length - 1);
        for (uint256 i = 0; i < cut.length; ++i) {
            cut[i] = good[i];
        }
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidSignaturesLength.selector, good.length - 1)
        );
        _submitFixtureWith(cut);

        // The malleated twin of member 1's signature: s' = n - s, v flipped. ecrecover accepts it, OZ does not.
        bytes memory malleated = bytes.concat(good);
        uint256 s = uint256(bytes32(_slice(malleated, 65 + 32, 65 + 64)));
        _write(malleated, 65 + 32, bytes32(SECP256K1_N - s));
        malleated[65 + 64] = malleated[65 + 64] == bytes1(uint8(27)) ? bytes1(uint8(28)) : bytes1(uint8(27));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidSignature.selector, 1));
        _submitFixtureWith(malleated);

        // v neither 27 nor 28.
        bytes memory badV = bytes.concat(good);
        badV[2 * 65 + 64] = bytes1(uint8(29));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidSignature.selector, 2));
        _submitFixtureWith(badV);

        // All zero: no address recovers.
        bytes memory zero = bytes.concat(new bytes(65), _slice(good, 65, 3 * 65));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidSignature.selector, 0));
        _submitFixtureWith(zero);
    }

    /// @dev Signatures over a report that differs from the round's in exactly one field, each refused: a signature
    /// over another report recovers an unrelated address, named as a non-member.
    function test_submit_revertsOnAReportDifferingInAnyField() public {
        Report memory honest = _fixtureReport(fx.decisionMinute);
        ProofFixture memory sell = _fixtureOf(ISignalOracle.Signal.Sell);
        Report[5] memory wrong;
        for (uint256 i = 0; i < wrong.length; ++i) {
            wrong[i] = _fixtureReport(fx.decisionMinute);
        }
        wrong[0].feedId = ETH;
        wrong[1].modelId = keccak256("another model");
        wrong[2].decisionMinute = fx.decisionMinute + 60;
        wrong[3].inputBinding = _binding(sell);
        wrong[4].committeeVersion = honest.committeeVersion + 1;
        assertTrue(wrong[3].inputBinding != honest.inputBinding, "fixtures share a binding");
        for (uint256 i = 0; i < wrong.length; ++i) {
            bytes32 digest = _digest(wrong[i]);
            bytes memory sigs = _signBy(_firstMembers(THRESHOLD), digest);
            _expectNotMember(0, _recover(_digest(honest), _slice(sigs, 0, 65)));
            _submitFixtureWith(sigs);
        }
        // An old version too: 0 (before any committee).
        Report memory v0 = _fixtureReport(fx.decisionMinute);
        v0.committeeVersion = 0;
        bytes memory old = _signReport(_firstMembers(THRESHOLD), v0);
        _expectNotMember(0, _recover(_digest(honest), _slice(old, 0, 65)));
        _submitFixtureWith(old);
        // The honest report passes.
        assertEq(_submitFixtureWith(_signReport(_firstMembers(THRESHOLD), honest)), 1);
    }

    /// @dev Signed for another chain: refused here; and after a fork (the chain id changes under the oracle) the
    /// signatures of the old chain are refused and the oracle's domain follows the new chain id.
    function test_submit_revertsOnSignaturesForAnotherChain() public {
        Report memory report = _fixtureReport(fx.decisionMinute);
        uint256 here = block.chainid;
        bytes32 digestHere = _digest(report, here, address(oracle));
        bytes memory otherChain = _signBy(_firstMembers(THRESHOLD), _digest(report, here + 1, address(oracle)));
        _expectNotMember(0, _recover(digestHere, _slice(otherChain, 0, 65)));
        _submitFixtureWith(otherChain);

        bytes memory signedHere = _signBy(_firstMembers(THRESHOLD), digestHere);
        vm.chainId(here + 7);
        bytes32 digestThere = _digest(report, here + 7, address(oracle));
        assertEq(
            oracle.reportDigest(
                report.feedId, report.modelId, report.decisionMinute, report.inputBinding, report.committeeVersion
            ),
            digestThere
        );
        _expectNotMember(0, _recover(digestThere, _slice(signedHere, 0, 65)));
        _submitFixtureWith(signedHere);
        assertEq(_submitFixtureWith(_signBy(_firstMembers(THRESHOLD), digestThere)), 1);
    }

    /// @dev Signed for a second oracle (same committee, same feed, same model): refused by the first, and the
    /// reverse.
    function test_submit_revertsOnSignaturesForAnotherOracle() public {
        SignalOracle second = new SignalOracle(admin);
        vm.startPrank(admin);
        second.registerModel(fx.modelId, _model(fx));
        second.createFeed(FEED, "BTCUSDT 1m, 60-minute horizon", fx.modelId, MAX_DELAY);
        second.grantRole(second.SUBMITTER_ROLE(), submitter);
        second.setCommittee(FEED, members, THRESHOLD);
        vm.stopPrank();

        Report memory report = _fixtureReport(fx.decisionMinute);
        bytes memory forSecond = _signBy(_firstMembers(THRESHOLD), _digest(report, block.chainid, address(second)));
        bytes memory forFirst = _signReport(_firstMembers(THRESHOLD), report);
        _expectNotMember(0, _recover(_digest(report), _slice(forSecond, 0, 65)));
        _submitFixtureWith(forSecond);
        address[] memory committee = _committeeOf(FEED);
        vm.expectPartialRevert(ISignalOracle.SignalOracleSignerNotMember.selector);
        vm.prank(submitter);
        second.submit(FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances, committee, forFirst);

        vm.prank(submitter);
        assertEq(second.submit(FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances, committee, forSecond), 1);
    }

    // -------------------------------------------------------------------------------------- rotation

    /// @dev After a rotation, signatures made under the old version are void, even by members that stay; the new
    /// version's members sign; a removed member no longer counts; each round names its own version.
    function test_rotation_voidsOldSignatures() public {
        bytes memory underV1 = _signReport(_firstMembers(THRESHOLD), _fixtureReport(fx.decisionMinute));

        // Version 2: the same members, the same threshold. Only the version differs.
        _setCommittee(FEED, members, THRESHOLD);
        Report memory v2 = _fixtureReport(fx.decisionMinute);
        assertEq(v2.committeeVersion, 2);
        _expectNotMember(0, _recover(_digest(v2), _slice(underV1, 0, 65)));
        _submitFixtureWith(underV1);

        // Version 3: members 0 and 1 leave, two new ones join, 2 of 4.
        (address[] memory newcomers, uint256[] memory newKeys) = _newCommittee("newcomer", 2);
        address[] memory m3 = new address[](4);
        (m3[0], m3[1], m3[2], m3[3]) = (newcomers[0], members[2], newcomers[1], members[3]);
        vm.expectEmit(true, true, false, true);
        emit ISignalOracle.CommitteeSet(FEED, 3, m3, 2);
        _setCommittee(FEED, m3, 2);
        Report memory v3 = _fixtureReport(fx.decisionMinute);
        bytes32 d3 = _digest(v3);

        // Removed member 0 signing the current report: not a member any more.
        bytes memory removed = bytes.concat(_sign(memberKeys[0], d3), _sign(memberKeys[2], d3));
        _expectNotMember(0, members[0]);
        _submitFixtureWith(removed);

        // A newcomer and a member that stayed (index 1 in version 3): accepted, bits 0 and 1.
        bytes memory sigs = bytes.concat(_sign(memberKeys[2], d3), _sign(newKeys[0], d3));
        assertEq(_submitFixtureWith(sigs), 1);
        (uint32 version, uint256 signers, address[] memory addrs) = oracle.getRoundSigners(FEED, 1);
        assertEq(version, 3);
        assertEq(signers, 0x3);
        assertEq(addrs.length, 2);
        assertEq(addrs[0], newcomers[0]);
        assertEq(addrs[1], members[2]);
    }

    /// @dev Rounds keep the version they were signed under across several rotations (also several between two
    /// rounds, and rotations before the first).
    function test_getRoundSigners_namesEachRoundsVersion() public {
        _setCommittee(FEED, members, 1); // v2, before any round
        uint64 minute = fx.decisionMinute;
        uint32[6] memory expected;
        uint256[6] memory expectedSigners;
        for (uint256 r = 1; r <= 6; ++r) {
            if (r == 3) _setCommittee(FEED, members, 2); // v3
            if (r == 4) {
                _setCommittee(FEED, members, 1); // v4
                _setCommittee(FEED, members, 2); // v5
            }
            if (r == 6) _setCommittee(FEED, members, 1); // v6
            vm.warp(minute + 60);
            _submit(minute, fx.proof, fx.instances);
            expected[r - 1] = committeeVersion[FEED];
            expectedSigners[r - 1] = (1 << committeeThreshold[FEED]) - 1; // the first k members sign
            minute += 60;
        }
        assertEq(expected[0], 2);
        assertEq(expected[2], 3);
        assertEq(expected[3], 5);
        assertEq(expected[5], 6);
        for (uint256 r = 1; r <= 6; ++r) {
            (uint32 version, uint256 signers,) = oracle.getRoundSigners(FEED, r);
            assertEq(version, expected[r - 1]);
            assertEq(signers, expectedSigners[r - 1]);
        }
    }

    // ------------------------------------------------------------------------------------ thresholds

    function test_threshold_oneOfOne() public {
        address[] memory one = new address[](1);
        one[0] = members[2];
        _setCommittee(FEED, one, 1);
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, 1, 0));
        _submitFixtureWith("");
        _expectNotMember(0, members[0]);
        _submitFixtureWith(_sign(memberKeys[0], digest));
        assertEq(_submitFixtureWith(_sign(memberKeys[2], digest)), 1);
        (, uint256 signers,) = oracle.getRoundSigners(FEED, 1);
        assertEq(signers, 1);
    }

    function test_threshold_allOfN() public {
        _setCommittee(FEED, members, uint8(COMMITTEE_SIZE));
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, COMMITTEE_SIZE, 3));
        _submitFixtureWith(_signBy(_indices(3, 1, 0), digest));
        assertEq(_submitFixtureWith(_signBy(_firstMembers(COMMITTEE_SIZE), digest)), 1);
    }

    /// @dev The largest committee, all sixteen signing (every bit of the stored bitmap), and at threshold one.
    function test_threshold_maxCommittee() public {
        (address[] memory big, uint256[] memory keys) = _newCommittee("max", 16);
        _setCommittee(FEED, big, 16);
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        assertEq(_submitFixtureWith(_signWith(keys, digest)), 1);
        (, uint256 signers, address[] memory addrs) = oracle.getRoundSigners(FEED, 1);
        assertEq(signers, 0xFFFF);
        assertEq(addrs, big);

        _setCommittee(FEED, big, 1);
        uint64 next = fx.decisionMinute + 60;
        vm.warp(next + 60);
        digest = _digest(_fixtureReport(next));
        address[] memory committee = _committeeOf(FEED);
        vm.prank(submitter);
        oracle.submit(FEED, fx.modelId, next, fx.proof, fx.instances, committee, _sign(keys[15], digest));
        (, signers, addrs) = oracle.getRoundSigners(FEED, 2);
        assertEq(signers, 1 << 15);
        assertEq(addrs[0], big[15]);
    }

    // -------------------------------------------------------------------------------------- attacks

    /// @dev Attack (a): one real BUY proof and the committee's signatures for its round, replayed by an allowed
    /// transmitter for a later minute of the same feed, and for the same minute of another feed (served by the
    /// same model and committee). Before the committee, both were accepted.
    function test_attack_replayedProofIsRefused() public {
        ProofFixture memory buy = _fixtureOf(ISignalOracle.Signal.Buy);
        vm.prank(admin);
        oracle.createFeed(ETH, "ETHUSDT", fx.modelId, MAX_DELAY);
        _setCommittee(ETH, members, THRESHOLD);
        vm.warp(buy.decisionMinute + 60);

        Report memory honest = _report(FEED, buy.modelId, buy.decisionMinute, buy.proof, buy.instances);
        bytes memory sigs = _signReport(_firstMembers(THRESHOLD), honest);
        address[] memory committee = _committeeOf(FEED);
        vm.prank(submitter);
        oracle.submit(FEED, buy.modelId, buy.decisionMinute, buy.proof, buy.instances, committee, sigs);
        assertEq(uint8(oracle.getRound(FEED, 1).signal), uint8(ISignalOracle.Signal.Buy));

        // The same proof and signatures for the next minute.
        uint64 later = buy.decisionMinute + 60;
        vm.warp(later + 60);
        Report memory replayed = honest;
        replayed.decisionMinute = later;
        _expectNotMember(0, _recover(_digest(replayed), _slice(sigs, 0, 65)));
        vm.prank(submitter);
        oracle.submit(FEED, buy.modelId, later, buy.proof, buy.instances, committee, sigs);

        // The same proof and signatures on another feed, for the same minute.
        vm.warp(buy.decisionMinute + 60);
        Report memory otherFeed = _report(ETH, buy.modelId, buy.decisionMinute, buy.proof, buy.instances);
        committee = _committeeOf(ETH);
        _expectNotMember(0, _recover(_digest(otherFeed), _slice(sigs, 0, 65)));
        vm.prank(submitter);
        oracle.submit(ETH, buy.modelId, buy.decisionMinute, buy.proof, buy.instances, committee, sigs);
        assertEq(oracle.latestRoundId(FEED), 1);
        assertEq(oracle.latestRoundId(ETH), 0);
    }

    /// @dev Attack (b): the committee signs the HOLD round of a minute; a rogue transmitter (it has
    /// SUBMITTER_ROLE) tries to pre-empt it with a valid BUY proof of another window for the same minute: without
    /// signatures, with the honest round's signatures (over another binding) and with its own. All refused; the
    /// honest round then lands.
    function test_attack_rogueTransmitterCannotPreemptTheRound() public {
        address rogue = makeAddr("rogue transmitter");
        bytes32 role = oracle.SUBMITTER_ROLE();
        vm.prank(admin);
        oracle.grantRole(role, rogue);
        ProofFixture memory buy = _fixtureOf(ISignalOracle.Signal.Buy);
        uint64 minute = fx.decisionMinute;
        bytes memory honestSigs = _signReport(_firstMembers(THRESHOLD), _fixtureReport(minute));

        address[] memory committee = _committeeOf(FEED);
        vm.startPrank(rogue);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, THRESHOLD, 0));
        oracle.submit(FEED, buy.modelId, minute, buy.proof, buy.instances, committee, "");

        Report memory rogueReport = _report(FEED, buy.modelId, minute, buy.proof, buy.instances);
        assertTrue(rogueReport.inputBinding != _binding(fx), "fixtures share a binding");
        _expectNotMember(0, _recover(_digest(rogueReport), _slice(honestSigs, 0, 65)));
        oracle.submit(FEED, buy.modelId, minute, buy.proof, buy.instances, committee, honestSigs);

        // Two members' signatures of the rogue's report are not enough at k = 3 (a minority cannot publish).
        bytes memory minority = _signReport(_firstMembers(THRESHOLD - 1), rogueReport);
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, THRESHOLD, THRESHOLD - 1)
        );
        oracle.submit(FEED, buy.modelId, minute, buy.proof, buy.instances, committee, minority);
        vm.stopPrank();

        // The honest round, by any transmitter.
        assertEq(_submitFixtureWith(honestSigs), 1);
        assertEq(oracle.getRound(FEED, 1).inputBinding, _binding(fx));
        assertEq(uint8(oracle.getRound(FEED, 1).signal), fx.signal);
    }

    // ----------------------------------------------------------------------------------------- fuzz

    /// @dev A random sequence of up to 6 signers drawn from the 4 members and a stranger, in random order with
    /// repeats, checked against a reference: too few first, then the first non-member or repeated signer by
    /// position, else accepted with exactly the signers' bits.
    function testFuzz_submit_signatureSet(uint256 seed, uint8 lengthSeed) public {
        uint256 count = lengthSeed % 7;
        bytes32 digest = _digest(_fixtureReport(fx.decisionMinute));
        bytes memory sigs;
        uint256[] memory picks = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            picks[i] = uint256(keccak256(abi.encode(seed, i))) % (COMMITTEE_SIZE + 1);
            uint256 key = picks[i] == COMMITTEE_SIZE ? strangerKey : memberKeys[picks[i]];
            sigs = bytes.concat(sigs, _sign(key, digest));
        }

        // Reference outcome.
        bytes memory expectedError;
        uint256 bits;
        if (count < THRESHOLD) {
            expectedError =
                abi.encodeWithSelector(ISignalOracle.SignalOracleTooFewSignatures.selector, THRESHOLD, count);
        } else {
            for (uint256 i = 0; i < count; ++i) {
                if (picks[i] == COMMITTEE_SIZE) {
                    expectedError =
                        abi.encodeWithSelector(ISignalOracle.SignalOracleSignerNotMember.selector, i, stranger);
                    break;
                }
                if (bits & (1 << picks[i]) != 0) {
                    expectedError = abi.encodeWithSelector(
                        ISignalOracle.SignalOracleDuplicateSigner.selector, i, members[picks[i]]
                    );
                    break;
                }
                bits |= 1 << picks[i];
            }
        }

        if (expectedError.length != 0) {
            vm.expectRevert(expectedError);
            _submitFixtureWith(sigs);
            assertEq(oracle.latestRoundId(FEED), 0);
        } else {
            assertEq(_submitFixtureWith(sigs), 1);
            (uint32 version, uint256 signers,) = oracle.getRoundSigners(FEED, 1);
            assertEq(version, 1);
            assertEq(signers, bits);
        }
    }

    // --------------------------------------------------------------------------------------- bytes

    function _slice(bytes memory b, uint256 start, uint256 end) internal pure returns (bytes memory out) {
        out = new bytes(end - start);
        for (uint256 i = start; i < end; ++i) {
            out[i - start] = b[i];
        }
    }

    function _write(bytes memory b, uint256 at, bytes32 word) internal pure {
        for (uint256 i = 0; i < 32; ++i) {
            b[at + i] = word[i];
        }
    }
}

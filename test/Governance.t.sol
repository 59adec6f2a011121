// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {DemoVault} from "../contracts/DemoVault.sol";
import {SignalAggregator} from "../contracts/SignalAggregator.sol";
import {SignalOracle} from "../contracts/SignalOracle.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";
import {AcceptingVerifier} from "./utils/mocks/AcceptingVerifier.sol";

/// @notice Governance as deployed: the oracle's one admin and the vault's owner is a `TimelockController` (the
/// governor proposes, the guardian can cancel, anyone executes after the delay). The set-up hands the oracle's
/// admin role from the deploying account to the timelock the way `AccessControlDefaultAdminRules` allows: in two
/// steps, each after its delay.
contract GovernanceTest is VaultTestBase {
    address internal alice = makeAddr("alice");
    SignalAggregator internal adapter;

    function setUp() public override {
        super.setUp();
        adapter = new SignalAggregator(oracle, FEED, "VeriRegime BTCUSDT 1m signal");
        vm.prank(admin);
        oracle.beginDefaultAdminTransfer(address(timelock));
        vm.warp(block.timestamp + 1); // acceptable strictly after its schedule; the timelock's delay runs alongside
        address[] memory targets = new address[](1);
        targets[0] = address(oracle);
        bytes[] memory payloads = new bytes[](1);
        payloads[0] = abi.encodeCall(IAccessControlDefaultAdminRules.acceptDefaultAdminTransfer, ());
        _govern(targets, payloads, "accept admin"); // both delays are 2 days: they run concurrently
        _refreshPrice();
        _deposit(alice, 100_000e18);
    }

    function _one(address target, bytes memory payload)
        internal
        pure
        returns (address[] memory targets, bytes[] memory payloads)
    {
        targets = new address[](1);
        targets[0] = target;
        payloads = new bytes[](1);
        payloads[0] = payload;
    }

    /// @dev A model upgrade as governance ships it: register v2, move the feed, re-pin the vault.
    function _upgradeBatch(bytes32 id, IHalo2Verifier v)
        internal
        view
        returns (address[] memory targets, bytes[] memory payloads)
    {
        ISignalOracle.Model memory m = _model(fx);
        m.verifier = v;
        targets = new address[](3);
        payloads = new bytes[](3);
        (targets[0], payloads[0]) = (address(oracle), abi.encodeCall(ISignalOracle.registerModel, (id, m)));
        (targets[1], payloads[1]) = (address(oracle), abi.encodeCall(ISignalOracle.setFeedModel, (FEED, id)));
        (targets[2], payloads[2]) = (address(vault), abi.encodeCall(DemoVault.setPinnedModel, (id)));
    }

    function test_setUp_theTimelockIsTheOnlyAdmin() public view {
        assertEq(oracle.defaultAdmin(), address(timelock));
        assertFalse(oracle.hasRole(oracle.DEFAULT_ADMIN_ROLE(), admin));
        assertEq(oracle.defaultAdminDelay(), oracle.ADMIN_TRANSFER_DELAY());
        assertEq(vault.owner(), address(timelock));
        assertEq(timelock.getMinDelay(), TIMELOCK_DELAY);
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), governor));
        assertTrue(timelock.hasRole(timelock.CANCELLER_ROLE(), guardian));
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), guardian));
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0)), "anyone executes a ready operation");
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)), "no admin bypasses the delay");
    }

    /// @dev Finding: one admin key, with no delay, could move the feed to a verifier that accepts every proof.
    /// Now no single key can: the former admin and the governor are refused by the oracle itself.
    function test_attack_acceptEverythingVerifier_noKeyActsAlone() public {
        ISignalOracle.Model memory m = _model(fx);
        m.verifier = new AcceptingVerifier();
        address[2] memory keys = [admin, governor];
        for (uint256 i = 0; i < 2; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, keys[i], oracle.DEFAULT_ADMIN_ROLE()
                )
            );
            vm.prank(keys[i]);
            oracle.registerModel(keccak256("evil"), m);
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, keys[i], oracle.DEFAULT_ADMIN_ROLE()
                )
            );
            vm.prank(keys[i]);
            oracle.setFeedModel(FEED, fx.modelId);
        }
        // Nor can the admin role be granted around the two-step transfer.
        bytes32 adminRole = oracle.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(address(timelock));
        oracle.grantRole(adminRole, governor);
    }

    /// @dev A stolen governor key schedules the accept-everything verifier (and the vault's re-pin to it). The
    /// batch cannot execute before its delay; it is public for that delay; the guardian cancels it. The feed
    /// stays on the real verifier, which refuses the attacker's 64 zero bytes.
    function test_attack_acceptEverythingVerifier_cancelledByTheGuardian() public {
        bytes32 evil = keccak256("evil");
        (address[] memory targets, bytes[] memory payloads) = _upgradeBatch(evil, new AcceptingVerifier());
        uint256[] memory values = new uint256[](3);
        vm.prank(governor);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), "evil", TIMELOCK_DELAY);
        bytes32 op = timelock.hashOperationBatch(targets, values, payloads, bytes32(0), "evil");
        assertTrue(timelock.isOperationPending(op));
        vm.expectPartialRevert(TimelockController.TimelockUnexpectedOperationState.selector);
        timelock.executeBatch(targets, values, payloads, bytes32(0), "evil");

        vm.prank(guardian);
        timelock.cancel(op);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.expectPartialRevert(TimelockController.TimelockUnexpectedOperationState.selector);
        timelock.executeBatch(targets, values, payloads, bytes32(0), "evil");
        assertEq(oracle.getFeed(FEED).modelId, fx.modelId);

        // The attacker's round: 64 zero bytes (the input commitment) and BUY logits, signed by the committee.
        _publish(ISignalOracle.Signal.Hold); // brings `minute` up to the clock
        minute += 60;
        vm.warp(minute + 60);
        bytes memory zeros = new bytes(64);
        uint256[] memory instances = proofs[uint8(ISignalOracle.Signal.Buy)].instances;
        bytes memory sigs = _sigs(FEED, fx.modelId, minute, zeros, instances);
        address[] memory committee = _committeeOf(FEED);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
        vm.prank(submitter);
        oracle.submit(FEED, fx.modelId, minute, zeros, instances, committee, sigs);
        (, int256 answer,,,) = adapter.latestRoundData();
        assertEq(answer, 0, "the adapter still reports the honest HOLD");
        assertEq(risk.balanceOf(address(vault)), 0, "the vault did not buy");
    }

    /// @dev Even with no guardian acting, the delay is a public window in which every shareholder leaves whole,
    /// in kind; the attack then executes against an empty vault (and the fake BUY it enables buys at the
    /// average price, within the slippage bound: a fake signal moves exposure, not value).
    function test_attack_acceptEverythingVerifier_shareholdersLeaveDuringTheDelay() public {
        bytes32 evil = keccak256("evil");
        (address[] memory targets, bytes[] memory payloads) = _upgradeBatch(evil, new AcceptingVerifier());
        uint256[] memory values = new uint256[](3);
        vm.prank(governor);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), "evil", TIMELOCK_DELAY);
        uint256 before = _inKindValue(alice);
        uint256 shares = vault.balanceOf(alice);
        vm.prank(alice);
        vault.redeemInKind(shares, alice, alice);
        assertApproxEqAbs(stable.balanceOf(alice), before, 1, "alice left whole");

        vm.warp(block.timestamp + TIMELOCK_DELAY);
        timelock.executeBatch(targets, values, payloads, bytes32(0), "evil");
        _refreshPrice();
        _publishAs(evil, ISignalOracle.Signal.Hold); // the feed is on `evil` now; brings `minute` to the clock
        minute += 60;
        vm.warp(minute + 60);
        bytes memory zeros = new bytes(64);
        uint256[] memory instances = proofs[uint8(ISignalOracle.Signal.Buy)].instances;
        bytes memory sigs = _sigs(FEED, evil, minute, zeros, instances);
        address[] memory committee = _committeeOf(FEED);
        vm.prank(submitter);
        oracle.submit(FEED, evil, minute, zeros, instances, committee, sigs);
        (, int256 answer,,,) = adapter.latestRoundData();
        assertEq(answer, 1, "the accept-everything verifier passed 64 zero bytes as BUY");
        assertEq(adapter.latestModelId(), evil, "and the adapter names the model it came from");
        assertEq(vault.totalSupply(), 0);
    }

    /// @dev Finding: after `setFeedModel` a pinned vault refused every later round, and nothing could re-pin it.
    /// Governance ships the upgrade and the re-pin in one batch: the vault follows v1 up to the batch and v2 from
    /// it, and is never stranded (deposits stay open throughout).
    function test_upgrade_feedAndPinMoveTogether() public {
        bytes32 v2 = keccak256("student v2");
        (address[] memory targets, bytes[] memory payloads) = _upgradeBatch(v2, verifier);
        uint256[] memory values = new uint256[](3);
        vm.prank(governor);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), "v2", TIMELOCK_DELAY);
        vm.warp(block.timestamp + TIMELOCK_DELAY - 1 hours);
        _refreshPrice();
        _publish(ISignalOracle.Signal.Buy);
        assertEq(uint8(vault.rebalance()), uint8(IDemoVault.Action.BuyRisk), "v1 rounds until the batch");
        vm.warp(block.timestamp + 1 hours);
        assertEq(vault.maxDeposit(alice), type(uint256).max);
        timelock.executeBatch(targets, values, payloads, bytes32(0), "v2");
        assertEq(vault.pinnedModelId(), v2);
        assertEq(vault.maxDeposit(alice), type(uint256).max, "not stranded");
        _publishAs(v2, ISignalOracle.Signal.Sell);
        assertEq(uint8(vault.rebalance()), uint8(IDemoVault.Action.SellRisk), "v2 rounds from the batch on");
    }

    /// @dev The admin role moves only in two steps, `ADMIN_TRANSFER_DELAY` apart (here scheduled by governance).
    function test_adminTransfer_isTwoStepAndDelayed() public {
        address next = makeAddr("next admin");
        (address[] memory targets, bytes[] memory payloads) =
            _one(address(oracle), abi.encodeCall(IAccessControlDefaultAdminRules.beginDefaultAdminTransfer, (next)));
        _govern(targets, payloads, "begin");
        (address pending, uint48 schedule) = oracle.pendingDefaultAdmin();
        assertEq(pending, next);
        assertEq(schedule, block.timestamp + oracle.ADMIN_TRANSFER_DELAY());
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule
            )
        );
        vm.prank(next);
        oracle.acceptDefaultAdminTransfer();
        vm.warp(schedule + 1);
        vm.prank(next);
        oracle.acceptDefaultAdminTransfer();
        assertEq(oracle.defaultAdmin(), next);
    }
}

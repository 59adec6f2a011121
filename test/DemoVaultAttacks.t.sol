// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {DemoToken} from "../contracts/demo/DemoToken.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice The attacks on the vault found by trying it as an attacker would, each performed on the real pair with
/// real proofs, and shown to fail: every one reverts or leaves every shareholder whole.
contract DemoVaultAttacksTest is VaultTestBase {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _deposit(alice, 100_000e18);
    }

    /// @dev Finding 1: the vault valued itself and bounded its slippage at its venue's price read in the same
    /// transaction; with the price doubled for one rebalance and put back, it lost half its value. Now the bound
    /// is the average, which the doubling does not move: the sandwiched BUY reverts and nothing moves.
    function test_attack_priceDoubledForOneRebalance() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        uint256 before = vault.totalAssets();
        (DemoToken bought, uint256 amount) = _moveSpot(attacker, 2e18);
        (uint256 average,) = twap.read();
        uint256 fair = Math.mulDiv(100_000e18, 1e18, average);
        vm.expectPartialRevert(IDemoVault.DemoVaultSlippageExceeded.selector);
        vm.prank(attacker);
        vault.rebalance();
        _swap(attacker, bought, amount);
        assertEq(stable.balanceOf(address(vault)), 100_000e18, "nothing moved");
        assertEq(vault.totalAssets(), before);
        assertEq(vault.lastHandledRoundId(), 0, "the round stays actionable");
        // The honest keeper's rebalance of the same round, on the restored pair, buys at the fair price.
        vm.prank(alice);
        assertEq(uint8(vault.rebalance()), uint8(IDemoVault.Action.BuyRisk));
        assertEq(vault.lastHandledRoundId(), roundId);
        assertGe(risk.balanceOf(address(vault)), Math.mulDiv(fair, 10_000 - MAX_SLIPPAGE_BPS, 10_000));
    }

    /// @dev The same on the way out: the price halved under a SELL.
    function test_attack_priceHalvedForOneSell() public {
        _publish(ISignalOracle.Signal.Buy);
        vault.rebalance();
        uint256 held = risk.balanceOf(address(vault));
        _publish(ISignalOracle.Signal.Sell);
        (DemoToken bought, uint256 amount) = _moveSpot(attacker, 0.5e18);
        vm.expectPartialRevert(IDemoVault.DemoVaultSlippageExceeded.selector);
        vault.rebalance();
        _swap(attacker, bought, amount);
        assertEq(risk.balanceOf(address(vault)), held);
        assertEq(uint8(vault.rebalance()), uint8(IDemoVault.Action.SellRisk));
    }

    /// @dev Finding 2: tripling the price for one transaction let one shareholder redeem a third of another's
    /// money (shares were priced at the spot price). Now shares are priced at the average, and stable exits close
    /// while the spot price is off the average by more than the bound: bob's redemption at the tripled price is
    /// refused, his in-kind exit takes exactly his part, and alice is whole.
    function test_attack_priceTripledForOneRedemption() public {
        _publish(ISignalOracle.Signal.Buy);
        vault.rebalance();
        uint256 bobShares = _deposit(bob, 100_000e18); // idle stable for bob to try to take
        uint256 aliceBefore = _inKindValue(alice);
        uint256 bobBefore = _inKindValue(bob);
        uint256 assetsBefore = vault.totalAssets();

        (DemoToken bought, uint256 amount) = _moveSpot(bob, 3e18);
        assertEq(vault.totalAssets(), assetsBefore, "the tripled spot price does not value the vault");
        assertEq(vault.maxRedeem(bob), 0);
        assertEq(vault.maxWithdraw(bob), 0);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, bob, bobShares, 0));
        vm.prank(bob);
        vault.redeem(bobShares, bob, bob);
        // In kind he gets his pro-rata part of both tokens, no more.
        (uint256 expectStable, uint256 expectRisk) = vault.previewRedeemInKind(bobShares);
        vm.prank(bob);
        (uint256 gotStable, uint256 gotRisk) = vault.redeemInKind(bobShares, bob, bob);
        assertEq(gotStable, expectStable);
        assertEq(gotRisk, expectRisk);
        _swap(bob, bought, amount);

        assertGe(_inKindValue(alice), aliceBefore, "alice is whole");
        assertApproxEqRel(gotStable + Math.mulDiv(gotRisk, twap.price(), 1e18), bobBefore, 1e-12 * 1e18);
    }

    /// @dev Finding 3: while the vault held risk, `maxWithdraw`/`maxRedeem` were 0 and shareholders waited for a
    /// SELL. Now a shareholder redeems 100% of their shares, in kind, in every state of the vault: in stable, in
    /// risk, with a stale price, with a manipulated spot price, and stranded by a model upgrade.
    function test_exit_allSharesInKindInEveryState() public {
        _deposit(bob, 50_000e18);
        _assertFullExitInKind("in stable");
        _publish(ISignalOracle.Signal.Buy);
        vault.rebalance();
        _assertFullExitInKind("in risk");
        uint256 snapshot = vm.snapshotState();
        vm.warp(block.timestamp + TWAP_MAX_SPAN + 1);
        assertFalse(twap.isFresh());
        _assertFullExitInKind("price stale");
        vm.revertToState(snapshot);
        _moveSpot(attacker, 3e18);
        _assertFullExitInKind("spot tripled");
        vm.revertToState(snapshot);
        _upgradeFeed();
        _assertFullExitInKind("stranded by an upgrade");
    }

    /// @dev Both shareholders leave in kind, each with exactly their pro-rata part; the vault is empty after,
    /// but for the virtual shares' part.
    function _assertFullExitInKind(string memory state) internal {
        uint256 snapshot = vm.snapshotState();
        address[2] memory who = [alice, bob];
        for (uint256 i = 0; i < 2; ++i) {
            uint256 shares = vault.balanceOf(who[i]);
            assertEq(vault.maxRedeemInKind(who[i]), shares, state);
            (uint256 s0, uint256 r0) = _holdings(who[i]);
            (uint256 expectStable, uint256 expectRisk) = vault.previewRedeemInKind(shares);
            vm.prank(who[i]);
            vault.redeemInKind(shares, who[i], who[i]);
            (uint256 s1, uint256 r1) = _holdings(who[i]);
            assertEq(s1 - s0, expectStable, state);
            assertEq(r1 - r0, expectRisk, state);
            assertEq(vault.balanceOf(who[i]), 0, state);
        }
        assertEq(vault.totalSupply(), 0, state);
        // What stays is the virtual shares' part: 10^6 of at least 10^29 shares.
        assertLe(stable.balanceOf(address(vault)), 1e6, state);
        assertLe(risk.balanceOf(address(vault)), 1e6, state);
        vm.revertToState(snapshot);
    }
}

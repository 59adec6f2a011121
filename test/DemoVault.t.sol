// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

import {DemoVault} from "../contracts/DemoVault.sol";
import {DemoVenue} from "../contracts/demo/DemoVenue.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice The vault's decision table and accounting, on signals proven by the real verifier.
contract DemoVaultTest is VaultTestBase {
    address internal alice = makeAddr("alice");
    address internal keeper = makeAddr("keeper");

    function setUp() public override {
        super.setUp();
        _deposit(alice, 100_000e18);
    }

    function _rebalance() internal returns (IDemoVault.Action) {
        vm.prank(keeper);
        return vault.rebalance();
    }

    function test_constructor_wiresTheVault() public view {
        assertEq(vault.asset(), address(stable));
        assertEq(address(vault.risk()), address(risk));
        assertEq(address(vault.oracle()), address(oracle));
        assertEq(vault.feedId(), FEED);
        assertEq(vault.maxSlippageBps(), MAX_SLIPPAGE_BPS);
        assertEq(vault.decimals(), 18 + 6);
    }

    function test_constructor_revertsOnInvalidConfig() public {
        DemoVault.Config memory c = _config(bytes32(0));
        c.maxAge = 0;
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, "v", "v");
        c = _config(bytes32(0));
        c.maxSlippageBps = 10_000;
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, "v", "v");
        c = _config(bytes32(0));
        c.oracle = ISignalOracle(address(0));
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, "v", "v");
        c = _config(bytes32(0));
        c.feedId = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, c.feedId));
        new DemoVault(c, "v", "v");
    }

    function test_rebalance_buyMovesAllStableToRisk() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        uint256 mid = 100_000e18 * 1e18 / PRICE_WAD;
        uint256 out = venue.quote(stable, 100_000e18);
        vm.expectEmit(true, false, false, true, address(vault));
        emit IDemoVault.Rebalanced(
            roundId, minute, ISignalOracle.Signal.Buy, IDemoVault.Action.BuyRisk, 100_000e18, out, mid
        );
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
        assertEq(stable.balanceOf(address(vault)), 0);
        assertEq(risk.balanceOf(address(vault)), out);
        assertEq(vault.lastHandledRoundId(), roundId);
        assertEq(stable.allowance(address(vault), address(venue)), 0);
        // Valued at mid, the vault lost exactly the venue's fee.
        assertApproxEqAbs(vault.totalAssets(), 100_000e18 * (10_000 - FEE_BPS) / 10_000, 1);
    }

    function test_rebalance_sellMovesAllRiskToStable() public {
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        uint256 held = risk.balanceOf(address(vault));
        uint256 roundId = _publish(ISignalOracle.Signal.Sell);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.SellRisk));
        assertEq(risk.balanceOf(address(vault)), 0);
        assertEq(stable.balanceOf(address(vault)), venue.quote(risk, held));
        assertEq(vault.lastHandledRoundId(), roundId);
    }

    function test_rebalance_holdDoesNothing() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Hold);
        vm.expectEmit(true, false, false, true, address(vault));
        emit IDemoVault.Rebalanced(roundId, minute, ISignalOracle.Signal.Hold, IDemoVault.Action.None, 0, 0, 0);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.None));
        assertEq(stable.balanceOf(address(vault)), 100_000e18);
        assertEq(vault.lastHandledRoundId(), roundId);
    }

    function test_rebalance_sellWithoutRiskDoesNothing() public {
        _publish(ISignalOracle.Signal.Sell);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.None));
        assertEq(stable.balanceOf(address(vault)), 100_000e18);
    }

    function test_rebalance_revertsWithoutSignal() public {
        vm.expectRevert(IDemoVault.DemoVaultNoSignal.selector);
        _rebalance();
    }

    function test_rebalance_revertsOnStaleSignal() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        vm.warp(minute + MAX_AGE + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IDemoVault.DemoVaultStaleSignal.selector, roundId, minute, MAX_AGE + 1, MAX_AGE)
        );
        _rebalance();
        vm.warp(minute + MAX_AGE);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
    }

    function test_rebalance_actsOncePerRound() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultRoundAlreadyHandled.selector, roundId));
        _rebalance();
    }

    function test_rebalance_revertsWhenSlippageExceedsTheBound() public {
        vm.prank(admin);
        venue.setFee(MAX_SLIPPAGE_BPS + 1);
        _publish(ISignalOracle.Signal.Buy);
        uint256 mid = 100_000e18 * 1e18 / PRICE_WAD;
        uint256 minOut = (mid * (10_000 - MAX_SLIPPAGE_BPS) + 9999) / 10_000;
        uint256 quoted = venue.quote(stable, 100_000e18);
        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultSlippageExceeded.selector, mid, quoted, minOut));
        _rebalance();
        // Nothing moved and the round stays actionable once the market is back within bounds.
        assertEq(stable.balanceOf(address(vault)), 100_000e18);
        vm.prank(admin);
        venue.setFee(MAX_SLIPPAGE_BPS);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
    }

    function test_pinnedModel_refusesRoundsOfOtherModels() public {
        DemoVault pinned = new DemoVault(_config(fx.modelId), "pinned", "pV");
        uint256 r1 = _publish(ISignalOracle.Signal.Hold);
        vm.prank(keeper);
        pinned.rebalance();
        assertEq(pinned.lastHandledRoundId(), r1);

        // The feed moves to v2 (same circuit, new id); its BUY round is not for the pinned vault.
        bytes32 v2 = _upgradeFeed();
        uint256 r2 = _publishAs(v2, ISignalOracle.Signal.Buy);

        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultModelNotPinned.selector, r2, v2, fx.modelId));
        vm.prank(keeper);
        pinned.rebalance();
        // The unpinned vault follows the feed.
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
    }

    /// @dev Dust worth less than one unit of the other token is kept, not given away to the venue.
    function test_rebalance_keepsDust() public {
        DemoVault fresh = new DemoVault(_config(bytes32(0)), "fresh", "f");
        stable.mint(address(this), 1000);
        stable.approve(address(fresh), 1000);
        fresh.deposit(1000, address(this)); // 1000 wei of dUSD buys 0 wei of dBTC at 50,000
        _publish(ISignalOracle.Signal.Buy);
        vm.prank(keeper);
        assertEq(uint8(fresh.rebalance()), uint8(IDemoVault.Action.None));
        assertEq(stable.balanceOf(address(fresh)), 1000);
    }

    function test_totalAssets_valuesRiskAtMidPrice() public {
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        uint256 held = risk.balanceOf(address(vault));
        vm.prank(admin);
        venue.setPrice(PRICE_WAD * 2);
        assertEq(vault.totalAssets(), held * PRICE_WAD * 2 / 1e18);
    }

    function test_withdraw_isCappedByIdleStable() public {
        assertEq(vault.maxWithdraw(alice), 100_000e18);
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        assertEq(vault.maxWithdraw(alice), 0);
        assertEq(vault.maxRedeem(alice), 0);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, alice, 1, 0));
        vm.prank(alice);
        vault.redeem(1, alice, alice);

        _publish(ISignalOracle.Signal.Sell);
        _rebalance();
        uint256 shares = vault.balanceOf(alice);
        assertEq(vault.maxRedeem(alice), shares);
        vm.prank(alice);
        uint256 assets = vault.redeem(shares, alice, alice);
        // Two fees of 10 bps, and nothing else lost.
        assertApproxEqRel(assets, 100_000e18 * (10_000 - FEE_BPS) ** 2 / 1e8, 1e-15 * 1e18);
    }

    /// @dev First-depositor inflation: a 1-wei depositor donates a fortune; the next depositor still gets a
    /// fair share thanks to the virtual offset.
    function test_inflationAttack_isNotProfitable() public {
        DemoVault fresh = new DemoVault(_config(bytes32(0)), "fresh", "f");
        address attacker = makeAddr("attacker");
        address victim = makeAddr("victim");
        stable.mint(attacker, 1e18 + 1);
        vm.startPrank(attacker);
        stable.approve(address(fresh), 1);
        fresh.deposit(1, attacker);
        stable.transfer(address(fresh), 1e18);
        vm.stopPrank();

        stable.mint(victim, 1e18);
        vm.startPrank(victim);
        stable.approve(address(fresh), 1e18);
        uint256 shares = fresh.deposit(1e18, victim);
        vm.stopPrank();
        assertGt(shares, 0);
        assertApproxEqRel(fresh.previewRedeem(shares), 1e18, 1e-5 * 1e18);
    }

    function test_isAnERC4626() public view {
        IERC4626 v = IERC4626(address(vault));
        assertEq(v.convertToAssets(v.convertToShares(1e18)), 1e18);
        assertEq(v.totalAssets(), 100_000e18);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IUniswapV2Factory} from "@uniswap/v2-core/contracts/interfaces/IUniswapV2Factory.sol";
import {IUniswapV2Pair} from "@uniswap/v2-core/contracts/interfaces/IUniswapV2Pair.sol";

import {DemoVault} from "../contracts/DemoVault.sol";
import {PairTwap} from "../contracts/PairTwap.sol";
import {DemoToken} from "../contracts/demo/DemoToken.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {UniswapV2Artifacts} from "./utils/UniswapV2Artifacts.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice The vault's decision table, accounting and exits, on signals proven by the real verifier and swaps on
/// a real Uniswap v2 pair.
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

    /// @dev What the router would pay for all of the vault's `tokenIn` now.
    function _quote(DemoToken tokenIn) internal view returns (uint256) {
        address[] memory path = new address[](2);
        path[0] = address(tokenIn);
        path[1] = address(tokenIn == stable ? risk : stable);
        return router.getAmountsOut(tokenIn.balanceOf(address(vault)), path)[1];
    }

    function test_constructor_wiresTheVault() public view {
        assertEq(vault.asset(), address(stable));
        assertEq(address(vault.risk()), address(risk));
        assertEq(address(vault.oracle()), address(oracle));
        assertEq(address(vault.router()), address(router));
        assertEq(address(vault.twap()), address(twap));
        assertEq(vault.feedId(), FEED);
        assertEq(vault.pinnedModelId(), fx.modelId);
        assertEq(vault.maxSlippageBps(), MAX_SLIPPAGE_BPS);
        assertEq(vault.owner(), address(timelock));
        assertEq(vault.decimals(), 18 + 6);
    }

    function test_constructor_revertsOnInvalidConfig() public {
        DemoVault.Config memory c = _config(fx.modelId);
        c.maxAge = 0;
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, address(timelock), "v", "v");
        c = _config(fx.modelId);
        c.maxSlippageBps = 10_000;
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, address(timelock), "v", "v");
        c = _config(fx.modelId);
        c.persist = 0;
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, address(timelock), "v", "v");
        c.persist = 61;
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, address(timelock), "v", "v");
        c = _config(fx.modelId);
        c.minLogitLeadWad = 1e36 + 1;
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, address(timelock), "v", "v");
        c = _config(fx.modelId);
        c.oracle = ISignalOracle(address(0));
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, address(timelock), "v", "v");
        // No pin: a vault holding money follows one model, never whatever the feed moves to.
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(_config(bytes32(0)), address(timelock), "v", "v");
        c = _config(keccak256("unregistered"));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownModel.selector, c.pinnedModelId));
        new DemoVault(c, address(timelock), "v", "v");
        c = _config(fx.modelId);
        c.feedId = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, c.feedId));
        new DemoVault(c, address(timelock), "v", "v");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new DemoVault(_config(fx.modelId), address(0), "v", "v");
        // The price must be of the pair the router trades: an average of the same tokens' pair on another
        // factory is refused.
        IUniswapV2Factory otherFactory =
            IUniswapV2Factory(UniswapV2Artifacts.deploy(vm, UniswapV2Artifacts.FACTORY, abi.encode(address(0))));
        IUniswapV2Pair otherPair = IUniswapV2Pair(otherFactory.createPair(address(stable), address(risk)));
        c = _config(fx.modelId);
        c.twap = new PairTwap(otherPair, address(risk), TWAP_WINDOW, TWAP_MAX_SPAN);
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(c, address(timelock), "v", "v");
    }

    /// @dev The trading rule in one function: what a backtest mirrors. With persist 1 and no margin each round's
    /// signal decides alone.
    function test_actionFor_isTheTradingRule() public {
        uint256 buy = _publish(ISignalOracle.Signal.Buy);
        uint256 sell = _publish(ISignalOracle.Signal.Sell);
        uint256 hold = _publish(ISignalOracle.Signal.Hold);
        assertEq(uint8(vault.actionFor(buy)), uint8(IDemoVault.Action.BuyRisk));
        assertEq(uint8(vault.actionFor(sell)), uint8(IDemoVault.Action.SellRisk));
        assertEq(uint8(vault.actionFor(hold)), uint8(IDemoVault.Action.None));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, hold + 1));
        vault.actionFor(hold + 1);
    }

    function test_rebalance_buyMovesAllStableToRisk() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        (uint256 average,) = twap.read();
        uint256 fair = Math.mulDiv(100_000e18, 1e18, average);
        uint256 out = _quote(stable);
        vm.expectEmit(true, false, false, true, address(vault));
        emit IDemoVault.Rebalanced(
            roundId, minute, ISignalOracle.Signal.Buy, IDemoVault.Action.BuyRisk, 100_000e18, out, fair
        );
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
        assertEq(stable.balanceOf(address(vault)), 0);
        assertEq(risk.balanceOf(address(vault)), out);
        assertEq(vault.lastHandledRoundId(), roundId);
        assertEq(stable.allowance(address(vault), address(router)), 0);
        // Valued at the average, the vault lost the pair's 0.3% fee and 0.1% of price impact, within the bound.
        uint256 lost = 100_000e18 - vault.totalAssets();
        assertGt(lost, 100_000e18 * 30 / 10_000);
        assertLt(lost, 100_000e18 * 45 / 10_000);
    }

    function test_rebalance_sellMovesAllRiskToStable() public {
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        uint256 quoted = _quote(risk);
        uint256 roundId = _publish(ISignalOracle.Signal.Sell);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.SellRisk));
        assertEq(risk.balanceOf(address(vault)), 0);
        assertEq(stable.balanceOf(address(vault)), quoted);
        assertEq(vault.lastHandledRoundId(), roundId);
        assertEq(risk.allowance(address(vault), address(router)), 0);
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
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleNoRound.selector, FEED));
        _rebalance();
    }

    /// @dev Age counts from the signal's validity, the close of its decision candle (`decisionMinute + 60`). The
    /// feed's heartbeat is an hour here, so that the round is still current when the vault's own `maxAge` refuses it.
    function test_rebalance_revertsOnStaleSignal() public {
        vm.prank(admin);
        oracle.setFeedHeartbeat(FEED, 1 hours);
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        uint256 validAt = minute + 60;
        vm.warp(validAt + MAX_AGE + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IDemoVault.DemoVaultStaleSignal.selector, roundId, minute, MAX_AGE + 1, MAX_AGE)
        );
        _rebalance();
        vm.warp(validAt + MAX_AGE);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
    }

    /// @dev The vault reads the oracle's one notion of current: once the latest round's heartbeat and submission
    /// window have passed without a later round, it refuses to act, even within its own `maxAge`.
    function test_rebalance_revertsOnARoundNoLongerCurrent() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        uint256 validUntil = minute + 60 + 60 + MAX_DELAY; // the default heartbeat: one minute
        assertLt(validUntil, minute + 60 + MAX_AGE);
        vm.warp(validUntil);
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleNotCurrent.selector, FEED, roundId, validUntil)
        );
        _rebalance();
        vm.warp(validUntil - 1);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
    }

    function test_rebalance_actsOncePerRound() public {
        uint256 roundId = _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultRoundAlreadyHandled.selector, roundId));
        _rebalance();
    }

    /// @dev A vault so large that its swap moves the pair beyond the bound refuses, and the round stays actionable
    /// once the vault is small enough.
    function test_rebalance_revertsWhenSlippageExceedsTheBound() public {
        address whale = makeAddr("whale");
        uint256 whaleShares = _deposit(whale, 10_000_000e18); // 10% of the pool: ~9% price impact
        _publish(ISignalOracle.Signal.Buy);
        (uint256 average,) = twap.read();
        uint256 fair = Math.mulDiv(10_100_000e18, 1e18, average);
        uint256 minOut = Math.mulDiv(fair, 10_000 - MAX_SLIPPAGE_BPS, 10_000, Math.Rounding.Ceil);
        uint256 quoted = _quote(stable);
        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultSlippageExceeded.selector, fair, quoted, minOut));
        _rebalance();
        // Nothing moved; the whale leaves in kind and the same round goes through.
        assertEq(stable.balanceOf(address(vault)), 10_100_000e18);
        vm.prank(whale);
        vault.redeemInKind(whaleShares, whale, whale);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
    }

    function test_pinnedModel_refusesRoundsOfOtherModels() public {
        uint256 r1 = _publish(ISignalOracle.Signal.Hold);
        _rebalance();
        assertEq(vault.lastHandledRoundId(), r1);
        // The feed moves to v2 (same circuit, new id) without the vault: its BUY round is not for the vault.
        bytes32 v2 = _upgradeFeed();
        uint256 r2 = _publishAs(v2, ISignalOracle.Signal.Buy);
        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultModelNotPinned.selector, r2, v2, fx.modelId));
        _rebalance();
        // A vault that cannot follow its feed takes no money; shareholders still leave in kind.
        assertEq(vault.maxDeposit(alice), 0);
        assertEq(vault.maxMint(alice), 0);
        uint256 shares = vault.balanceOf(alice);
        vm.prank(alice);
        (uint256 assets,) = vault.redeemInKind(shares, alice, alice);
        assertApproxEqAbs(assets, 100_000e18, 1);
    }

    function test_setPinnedModel_isGovernanceOnly() public {
        bytes32 v2 = _upgradeFeed();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, admin));
        vm.prank(admin);
        vault.setPinnedModel(v2);
        // Through the timelock, after its delay.
        address[] memory targets = new address[](1);
        targets[0] = address(vault);
        bytes[] memory payloads = new bytes[](1);
        payloads[0] = abi.encodeCall(DemoVault.setPinnedModel, (v2));
        vm.prank(governor);
        timelock.scheduleBatch(targets, new uint256[](1), payloads, bytes32(0), "repin", TIMELOCK_DELAY);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.expectEmit(true, true, false, false, address(vault));
        emit IDemoVault.PinnedModelSet(fx.modelId, v2);
        timelock.executeBatch(targets, new uint256[](1), payloads, bytes32(0), "repin");
        assertEq(vault.pinnedModelId(), v2);
        payloads[0] = abi.encodeCall(DemoVault.setPinnedModel, (keccak256("unregistered")));
        vm.prank(governor);
        timelock.scheduleBatch(targets, new uint256[](1), payloads, bytes32(0), "bad", TIMELOCK_DELAY);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownModel.selector, keccak256("unregistered"))
        );
        timelock.executeBatch(targets, new uint256[](1), payloads, bytes32(0), "bad");
    }

    /// @dev Dust worth less than one unit of the other token is kept, not given away to the pair.
    function test_rebalance_keepsDust() public {
        DemoVault fresh = new DemoVault(_config(fx.modelId), address(timelock), "fresh", "f");
        _depositInto(fresh, address(this), 1000); // 1000 wei of dUSD buys 0 wei of dBTC at 50,000
        _publish(ISignalOracle.Signal.Buy);
        vm.prank(keeper);
        assertEq(uint8(fresh.rebalance()), uint8(IDemoVault.Action.None));
        assertEq(stable.balanceOf(address(fresh)), 1000);
    }

    /// @dev Risk is valued at the pair's average price, which a spot move does not change.
    function test_totalAssets_valuesRiskAtTheAverage() public {
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        uint256 held = risk.balanceOf(address(vault));
        (uint256 average,) = twap.read();
        assertEq(vault.totalAssets(), Math.mulDiv(held, average, 1e18));
        _moveSpot(makeAddr("trader"), 2e18);
        assertEq(vault.totalAssets(), Math.mulDiv(held, average, 1e18));
    }

    /// @dev Stable exits are paid from idle stable; in kind, everything, always.
    function test_withdraw_isCappedByIdleStableAndInKindIsNot() public {
        assertEq(vault.maxWithdraw(alice), 100_000e18);
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        assertEq(vault.maxWithdraw(alice), 0);
        assertEq(vault.maxRedeem(alice), 0);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxRedeem.selector, alice, 1, 0));
        vm.prank(alice);
        vault.redeem(1, alice, alice);

        uint256 shares = vault.balanceOf(alice);
        assertEq(vault.maxRedeemInKind(alice), shares);
        uint256 held = risk.balanceOf(address(vault));
        (uint256 previewStable, uint256 previewRisk) = vault.previewRedeemInKind(shares);
        vm.expectEmit(true, true, true, true, address(vault));
        emit IDemoVault.RedeemedInKind(alice, alice, alice, shares, previewStable, previewRisk);
        vm.prank(alice);
        (uint256 assets, uint256 riskOut) = vault.redeemInKind(shares, alice, alice);
        assertEq(assets, 0);
        // All but the virtual shares' part (10^6 of 10^29 shares).
        assertApproxEqRel(riskOut, held, 1e-17 * 1e18);
        assertEq(risk.balanceOf(alice), riskOut);
        assertEq(vault.balanceOf(alice), 0);
    }

    function test_redeem_afterSellPaysBothFeesAndNothingElse() public {
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        _publish(ISignalOracle.Signal.Sell);
        _rebalance();
        uint256 shares = vault.balanceOf(alice);
        assertEq(vault.maxRedeem(alice), shares);
        vm.prank(alice);
        uint256 assets = vault.redeem(shares, alice, alice);
        // Two swaps' 0.3% fees: the price impact of the buy is undone by the sell (to 1 bp).
        assertApproxEqRel(assets, 100_000e18 * 997 ** 2 / 1000 ** 2, 1e-4 * 1e18);
    }

    function test_redeemInKind_spendsAllowanceAndRefusesMoreThanHeld() public {
        uint256 shares = vault.balanceOf(alice);
        address bob = makeAddr("bob");
        vm.expectRevert(
            abi.encodeWithSelector(IDemoVault.DemoVaultExceededInKindRedeem.selector, alice, shares + 1, shares)
        );
        vm.prank(alice);
        vault.redeemInKind(shares + 1, alice, alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                bytes4(keccak256("ERC20InsufficientAllowance(address,uint256,uint256)")), bob, 0, shares
            )
        );
        vm.prank(bob);
        vault.redeemInKind(shares, bob, alice);
        vm.prank(alice);
        vault.approve(bob, shares);
        vm.prank(bob);
        (uint256 assets,) = vault.redeemInKind(shares, bob, alice);
        assertEq(stable.balanceOf(bob), assets);
        assertEq(vault.allowance(alice, bob), 0);
    }

    /// @dev While the vault holds risk, stable deposits and withdrawals need a fresh average: closed after the
    /// clock jumps past `maxSpan` without updates, open again one window after an update.
    function test_maxFunctions_closeWhileThePriceIsStale() public {
        _publish(ISignalOracle.Signal.Buy);
        _rebalance();
        _deposit(alice, 1000e18); // some idle stable to withdraw
        assertGt(vault.maxWithdraw(alice), 0);
        vm.warp(block.timestamp + TWAP_MAX_SPAN + 1);
        assertFalse(twap.isFresh());
        assertEq(vault.maxDeposit(alice), 0);
        assertEq(vault.maxMint(alice), 0);
        assertEq(vault.maxWithdraw(alice), 0);
        assertEq(vault.maxRedeem(alice), 0);
        assertEq(vault.maxRedeemInKind(alice), vault.balanceOf(alice));
        stable.mint(alice, 1e18);
        vm.startPrank(alice);
        stable.approve(address(vault), 1e18);
        vm.expectRevert(abi.encodeWithSelector(ERC4626.ERC4626ExceededMaxDeposit.selector, alice, 1e18, 0));
        vault.deposit(1e18, alice);
        vm.stopPrank();
        _refreshPrice();
        assertEq(vault.maxDeposit(alice), type(uint256).max);
        assertGt(vault.maxWithdraw(alice), 0);
    }

    /// @dev First-depositor inflation: a 1-wei depositor donates a fortune; the next depositor still gets a
    /// fair share thanks to the virtual offset.
    function test_inflationAttack_isNotProfitable() public {
        DemoVault fresh = new DemoVault(_config(fx.modelId), address(timelock), "fresh", "f");
        address attacker = makeAddr("attacker");
        address victim = makeAddr("victim");
        _depositInto(fresh, attacker, 1);
        stable.mint(attacker, 1e18);
        vm.prank(attacker);
        stable.transfer(address(fresh), 1e18);
        uint256 shares = _depositInto(fresh, victim, 1e18);
        assertGt(shares, 0);
        assertApproxEqRel(fresh.previewRedeem(shares), 1e18, 1e-5 * 1e18);
    }

    function test_isAnERC4626() public view {
        IERC4626 v = IERC4626(address(vault));
        assertEq(v.convertToAssets(v.convertToShares(1e18)), 1e18);
        assertEq(v.totalAssets(), 100_000e18);
    }
}

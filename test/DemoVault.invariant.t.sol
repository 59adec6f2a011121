// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {console} from "forge-std/console.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {DemoVault} from "../contracts/DemoVault.sol";
import {PairTwap} from "../contracts/PairTwap.sol";
import {SignalOracle} from "../contracts/SignalOracle.sol";
import {DemoToken} from "../contracts/demo/DemoToken.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {ProofFixture} from "./utils/ProofFixture.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice Drives the vault on the real pair with deposits, withdrawals, redemptions (in stable and in kind),
/// proven signals and rebalances (some sandwiched by an attacker), ordinary trades, one-block manipulations and
/// time, and records every breach for the invariants. It calls only what must succeed: a revert anywhere is a
/// bug (`fail_on_revert`), and the rebalance's documented refusals are caught and re-raised when they are
/// anything else.
contract VaultHandler is Test {
    uint256 internal constant BPS = 10_000;

    DemoVaultInvariantTest internal t;
    DemoVault internal vault;
    DemoToken internal stable;
    DemoToken internal risk;
    PairTwap internal twap;
    SignalOracle internal oracle;
    address internal submitter;
    bytes32 internal feedId;
    ProofFixture[3] internal proofs;
    uint64 public minute;
    address[3] public actors = [makeAddr("alice"), makeAddr("bob"), makeAddr("carol")];
    address internal trader = makeAddr("trader");
    address internal attacker = makeAddr("attacker");

    // Breaches found (each invariant asserts its counters are 0) and what happened.
    uint256 public rebalanceLossBreaches;
    uint256 public positionBreaches;
    uint256 public manipulationBreaches;
    uint256 public pricingBreaches;
    uint256 public inKindBreaches;
    uint256 public rebalances;
    uint256 public refusals;
    uint256 public inKindExits;
    uint256 public closedExits;

    constructor(DemoVaultInvariantTest t_, ProofFixture[3] memory proofs_, uint64 minute_) {
        t = t_;
        (vault, stable, risk, twap) = t_.market();
        (oracle, submitter, feedId) = t_.feed();
        for (uint256 i = 0; i < 3; ++i) {
            proofs[i] = proofs_[i];
        }
        minute = minute_;
    }

    function deposit(uint256 actorSeed, uint256 assets) external {
        address who = actors[actorSeed % actors.length];
        assets = bound(assets, 1, 1_000_000e18);
        if (vault.maxDeposit(who) < assets) {
            ++closedExits;
            return;
        }
        uint256[3] memory others = _values();
        stable.mint(who, assets);
        vm.startPrank(who);
        stable.approve(address(vault), assets);
        uint256 shares = vault.deposit(assets, who);
        vm.stopPrank();
        // Shares are never worth more than what was paid for them, and no one else pays for them.
        if (vault.previewRedeem(shares) > assets) ++pricingBreaches;
        _checkOthers(who, others);
    }

    /// @dev Withdraws exactly what `maxWithdraw` promises: it must go through.
    function withdrawMax(uint256 actorSeed) external {
        address who = actors[actorSeed % actors.length];
        uint256 max = vault.maxWithdraw(who);
        if (max == 0) return;
        uint256 shares = vault.previewWithdraw(max);
        uint256[3] memory others = _values();
        vm.prank(who);
        if (vault.withdraw(max, who, who) != shares) ++pricingBreaches;
        _checkOthers(who, others);
    }

    function redeem(uint256 actorSeed, uint256 shares) external {
        address who = actors[actorSeed % actors.length];
        uint256 max = vault.maxRedeem(who);
        if (max == 0) return;
        shares = bound(shares, 1, max);
        uint256 preview = vault.previewRedeem(shares);
        uint256[3] memory others = _values();
        vm.prank(who);
        if (vault.redeem(shares, who, who) != preview) ++pricingBreaches;
        _checkOthers(who, others);
    }

    /// @dev Each actor's position at the average price (what leaving in kind now would be worth).
    function _values() internal view returns (uint256[3] memory values) {
        (uint256 priceWad,) = twap.read();
        for (uint256 i = 0; i < actors.length; ++i) {
            (uint256 s, uint256 r) = vault.previewRedeemInKind(vault.balanceOf(actors[i]));
            values[i] = s + Math.mulDiv(r, priceWad, 1e18);
        }
    }

    /// @dev Nobody but `who` lost value by `who`'s deposit or withdrawal, beyond rounding: one base unit of each
    /// token in the in-kind preview (a risk unit is worth `price / 1e18` stable units).
    function _checkOthers(address who, uint256[3] memory before) internal {
        uint256[3] memory values = _values();
        (uint256 priceWad,) = twap.read();
        uint256 dust = priceWad / 1e18 + 2;
        for (uint256 i = 0; i < actors.length; ++i) {
            if (actors[i] != who && values[i] + dust < before[i]) ++pricingBreaches;
        }
    }

    /// @dev In kind, any part of the balance up to all of it, checked against the pro-rata part computed here.
    function redeemInKind(uint256 actorSeed, uint256 shares, bool all) external {
        address who = actors[actorSeed % actors.length];
        uint256 held = vault.balanceOf(who);
        if (vault.maxRedeemInKind(who) != held) ++inKindBreaches;
        if (held == 0) return;
        shares = all ? held : bound(shares, 1, held);
        uint256 supply = vault.totalSupply() + 1e6;
        uint256 expectStable = Math.mulDiv(stable.balanceOf(address(vault)), shares, supply);
        uint256 expectRisk = Math.mulDiv(risk.balanceOf(address(vault)), shares, supply);
        uint256 s0 = stable.balanceOf(who);
        uint256 r0 = risk.balanceOf(who);
        vm.prank(who);
        vault.redeemInKind(shares, who, who);
        if (stable.balanceOf(who) - s0 != expectStable || risk.balanceOf(who) - r0 != expectRisk) ++inKindBreaches;
        ++inKindExits;
    }

    /// @dev Publishes a real proof of `signalSeed % 3` for the next minute and rebalances at once.
    function signalAndRebalance(uint8 signalSeed) external {
        _publish(signalSeed % 3);
        _rebalance(_plainRule(signalSeed % 3));
    }

    /// @dev The same, with the attacker moving the spot price by 1/2 to 2 times around the rebalance.
    function sandwichedRebalance(uint8 signalSeed, uint256 factorSeed) external {
        _publish(signalSeed % 3);
        (DemoToken bought, uint256 amount) = t.moveSpot(attacker, bound(factorSeed, 0.5e18, 2e18));
        _rebalance(_plainRule(signalSeed % 3));
        t.swap(attacker, bought, amount);
    }

    /// @dev An ordinary trade of up to 1% of the pair's reserves, then one block.
    function trade(bool buyRisk, uint256 size) external {
        (uint256 reserveStable, uint256 reserveRisk) = t.reserves();
        if (buyRisk) t.swap(trader, stable, bound(size, 1e18, reserveStable / 100));
        else t.swap(trader, risk, bound(size, 1e12, reserveRisk / 100));
        vm.warp(block.timestamp + 12);
    }

    /// @dev A manipulation inside one block: neither the average nor the vault's valuation may move.
    function manipulate(uint256 factorSeed) external {
        (uint256 averageBefore,) = twap.read();
        uint256 assetsBefore = vault.totalAssets();
        (DemoToken bought, uint256 amount) = t.moveSpot(attacker, bound(factorSeed, 0.33e18, 3e18));
        (uint256 averageDuring,) = twap.read();
        if (averageDuring != averageBefore || vault.totalAssets() != assetsBefore) ++manipulationBreaches;
        t.swap(attacker, bought, amount);
    }

    function passTime(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 15 minutes));
    }

    /// @dev What the set-up's rule (persist 1, no margin) does with a round of signal `s`.
    function _plainRule(uint8 s) internal pure returns (IDemoVault.Action) {
        if (s == uint8(ISignalOracle.Signal.Buy)) return IDemoVault.Action.BuyRisk;
        if (s == uint8(ISignalOracle.Signal.Sell)) return IDemoVault.Action.SellRisk;
        return IDemoVault.Action.None;
    }

    function _publish(uint8 s) internal {
        uint64 next = minute + 60;
        uint64 latestClosed = uint64(block.timestamp / 60 * 60) - 60;
        if (next < latestClosed) next = latestClosed;
        minute = next;
        if (block.timestamp < minute + 60) vm.warp(minute + 60);
        ProofFixture storage p = proofs[s];
        bytes memory sigs = t.committeeSignatures(feedId, p.modelId, minute, p.proof, p.instances);
        (address[] memory committee,,) = oracle.getCommittee(feedId);
        vm.prank(submitter);
        oracle.submit(feedId, p.modelId, minute, p.proof, p.instances, committee, sigs);
    }

    /// @dev Rebalances; the documented refusals (slippage beyond the bound, no fresh average) are counted, any
    /// other revert is re-raised. After a swap the vault holds none of the token it sold, and its value at the
    /// (same-block, so unchanged) average lost at most the bound on the part it sold.
    function _rebalance(IDemoVault.Action intended) internal {
        uint256 before = vault.totalAssets();
        try vault.rebalance() returns (IDemoVault.Action action) {
            ++rebalances;
            (uint256 priceWad,) = twap.read();
            // What is left of the token sold must be dust, worth less than one unit of the other token.
            uint256 stableLeft = Math.mulDiv(stable.balanceOf(address(vault)), 1e18, priceWad);
            uint256 riskLeft = Math.mulDiv(risk.balanceOf(address(vault)), priceWad, 1e18);
            if (intended == IDemoVault.Action.BuyRisk && stableLeft != 0) ++positionBreaches;
            if (intended == IDemoVault.Action.SellRisk && riskLeft != 0) ++positionBreaches;
            if (action != intended && action != IDemoVault.Action.None) ++positionBreaches;
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            if (
                selector != IDemoVault.DemoVaultSlippageExceeded.selector && selector != PairTwap.PairTwapStale.selector
                    && selector != PairTwap.PairTwapNotReady.selector
            ) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
            ++refusals;
            return;
        }
        (uint256 priceWad,) = twap.read();
        uint256 dust = priceWad / 1e18 + 2;
        uint256 floor = before * (BPS - vault.maxSlippageBps()) / BPS;
        if (vault.totalAssets() + dust < floor) ++rebalanceLossBreaches;
    }
}

/// @notice Invariants of the ERC-4626 vault on the real Uniswap v2 pair with real proven signals. Each was checked
/// once to fail against a deliberately broken vault (the mutation named in its NatSpec; results in the commit
/// that introduced them). Reverts are failures (`fail_on_revert` in foundry.toml).
/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 128
/// forge-config: ci.invariant.runs = 64
/// forge-config: ci.invariant.depth = 128
contract DemoVaultInvariantTest is VaultTestBase {
    VaultHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new VaultHandler(this, proofs, minute);
        targetContract(address(handler));
    }

    function market() external view returns (DemoVault, DemoToken, DemoToken, PairTwap) {
        return (vault, stable, risk, twap);
    }

    function feed() external view returns (SignalOracle, address, bytes32) {
        return (oracle, submitter, FEED);
    }

    /// @dev The committee's signatures of a submission, for the handler (which holds no keys).
    function committeeSignatures(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes memory proof,
        uint256[] memory instances
    ) external view returns (bytes memory) {
        return _sigs(feedId, modelId, decisionMinute, proof, instances);
    }

    /// @dev Market helpers for the handler (the base's are internal).
    function moveSpot(address who, uint256 factorWad) external returns (DemoToken, uint256) {
        return _moveSpot(who, factorWad);
    }

    function swap(address who, DemoToken tokenIn, uint256 amountIn) external returns (uint256) {
        return _swap(who, tokenIn, amountIn);
    }

    function reserves() external view returns (uint256, uint256) {
        return _reserves();
    }

    /// @notice A rebalance loses at most the slippage bound of the vault's value at the average price, even when
    /// sandwiched. Fails when the vault ignores its minimum output (mutation: `minOut = 0` and no quote check).
    function invariant_rebalanceStaysWithinTheSlippageBound() public view {
        assertEq(handler.rebalanceLossBreaches(), 0, "a rebalance lost more than the slippage bound");
    }

    /// @notice After a BUY the vault holds no stable, after a SELL no risk (but dust worth less than one unit of
    /// the other token), and it does what the rule says. Fails when it swaps only part of its balance (mutation:
    /// `_swapAll` sells half) and, by revert, when every SELL reverts (mutation: `revert` in the SELL branch:
    /// the handler re-raises any refusal but the documented ones).
    function invariant_positionFollowsTheRule() public view {
        assertEq(handler.positionBreaches(), 0, "the position does not follow the last action");
    }

    /// @notice A spot price moved inside one block moves neither the average nor `totalAssets`. Fails when the
    /// vault values risk at the spot price (mutation: `totalAssets` uses `twap.spotPrice()`).
    function invariant_oneBlockManipulationMovesNoValuation() public view {
        assertEq(handler.manipulationBreaches(), 0, "a one-block manipulation moved the valuation");
    }

    /// @notice Shares are never worth more than was paid for them, nobody's position loses value through another
    /// shareholder's deposit or withdrawal, stable withdrawals and redemptions pay exactly their preview, and
    /// what `maxWithdraw`/`maxRedeem` promise goes through (a revert fails the run). Fails when `totalAssets`
    /// ignores the risk held (mutation: risk valued at 0: depositors dilute the others) and, by revert, when
    /// `maxRedeem` ignores the idle-stable cap (mutation: `return super.maxRedeem(owner)`).
    function invariant_sharesAreFairlyPriced() public view {
        assertEq(handler.pricingBreaches(), 0, "shares mis-priced");
    }

    /// @notice Every shareholder can always redeem all their shares in kind, for exactly their pro-rata part of
    /// both tokens (`balance * shares / (totalSupply + 10^6)`). Fails when the exit pays over another supply
    /// (mutations: denominator `totalSupply() + 1`, a wrong payment; `totalSupply()`, a division by zero on an
    /// empty vault, by revert). The exit's independence of the price is the unit test
    /// `DemoVaultAttacksTest.test_exit_allSharesInKindInEveryState` (stale, manipulated, stranded).
    function invariant_inKindExitIsExactAndAlwaysOpen() public view {
        assertEq(handler.inKindBreaches(), 0, "an in-kind exit paid the wrong amounts");
        for (uint256 i = 0; i < 3; ++i) {
            address who = handler.actors(i);
            assertEq(vault.maxRedeemInKind(who), vault.balanceOf(who), "an in-kind exit is capped");
        }
    }

    /// @notice Figures of the run (not a check): how often each path was taken.
    function afterInvariant() public view {
        console.log("rebalances %d, refusals %d", handler.rebalances(), handler.refusals());
        console.log("in-kind exits %d, closed stable paths %d", handler.inKindExits(), handler.closedExits());
    }
}

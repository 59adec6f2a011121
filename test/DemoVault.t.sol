// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DemoVault} from "../contracts/DemoVault.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {ISwapVenue} from "../contracts/interfaces/ISwapVenue.sol";
import {DemoMarket} from "./utils/DemoMarket.sol";
import {OracleTestBase} from "./utils/OracleTestBase.sol";
import {MockSignalOracle} from "./utils/mocks/MockSignalOracle.sol";

/// @notice The vault's decision table, driven by a settable oracle.
contract DemoVaultTest is DemoMarket {
    uint64 internal constant MINUTE = 1_711_929_600;

    MockSignalOracle internal signals;
    address internal keeper = makeAddr("keeper");

    function setUp() public {
        signals = new MockSignalOracle();
        _deployMarket(ISignalOracle(address(signals)));
        vm.warp(MINUTE + 60);
    }

    function _rebalance() internal returns (IDemoVault.Action) {
        vm.prank(keeper);
        return vault.rebalance();
    }

    function test_constructor_revertsOnInvalidConfig() public {
        ISignalOracle oracle_ = ISignalOracle(address(signals));
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(oracle_, venue, stable, stable, MAX_AGE);
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(oracle_, venue, stable, risk, 0);
        vm.expectRevert(IDemoVault.DemoVaultInvalidConfig.selector);
        new DemoVault(ISignalOracle(address(0)), venue, stable, risk, MAX_AGE);
    }

    function test_rebalance_buyMovesAllStableToRisk() public {
        uint256 roundId = signals.publish(ISignalOracle.Signal.Buy, MINUTE);
        uint256 expectedOut = VAULT_STABLE * 1e18 / PRICE_WAD;

        vm.expectEmit(true, false, false, true, address(vault));
        emit IDemoVault.Rebalanced(
            roundId, MINUTE, ISignalOracle.Signal.Buy, IDemoVault.Action.BuyRisk, VAULT_STABLE, expectedOut
        );
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));

        assertEq(stable.balanceOf(address(vault)), 0);
        assertEq(risk.balanceOf(address(vault)), VAULT_RISK + expectedOut);
        assertEq(vault.lastHandledRoundId(), roundId);
        assertEq(stable.allowance(address(vault), address(venue)), 0);
    }

    function test_rebalance_sellMovesAllRiskToStable() public {
        uint256 roundId = signals.publish(ISignalOracle.Signal.Sell, MINUTE);
        uint256 expectedOut = VAULT_RISK * PRICE_WAD / 1e18;

        vm.expectEmit(true, false, false, true, address(vault));
        emit IDemoVault.Rebalanced(
            roundId, MINUTE, ISignalOracle.Signal.Sell, IDemoVault.Action.SellRisk, VAULT_RISK, expectedOut
        );
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.SellRisk));

        assertEq(risk.balanceOf(address(vault)), 0);
        assertEq(stable.balanceOf(address(vault)), VAULT_STABLE + expectedOut);
    }

    function test_rebalance_holdMovesNothing() public {
        uint256 roundId = signals.publish(ISignalOracle.Signal.Hold, MINUTE);

        vm.expectEmit(true, false, false, true, address(vault));
        emit IDemoVault.Rebalanced(roundId, MINUTE, ISignalOracle.Signal.Hold, IDemoVault.Action.None, 0, 0);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.None));

        assertEq(stable.balanceOf(address(vault)), VAULT_STABLE);
        assertEq(risk.balanceOf(address(vault)), VAULT_RISK);
        assertEq(vault.lastHandledRoundId(), roundId);
    }

    function test_rebalance_buyWhenAlreadyAllRiskMovesNothing() public {
        signals.publish(ISignalOracle.Signal.Buy, MINUTE);
        _rebalance();
        uint256 riskBalance = risk.balanceOf(address(vault));

        vm.warp(MINUTE + 120);
        uint256 roundId = signals.publish(ISignalOracle.Signal.Buy, MINUTE + 60);
        vm.expectEmit(true, false, false, true, address(vault));
        emit IDemoVault.Rebalanced(roundId, MINUTE + 60, ISignalOracle.Signal.Buy, IDemoVault.Action.None, 0, 0);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.None));
        assertEq(risk.balanceOf(address(vault)), riskBalance);
    }

    function test_rebalance_followsSuccessiveRounds() public {
        signals.publish(ISignalOracle.Signal.Buy, MINUTE);
        _rebalance();
        vm.warp(MINUTE + 120);
        signals.publish(ISignalOracle.Signal.Sell, MINUTE + 60);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.SellRisk));
        assertEq(risk.balanceOf(address(vault)), 0);
        // Fixed price, no fees: the round trip returns exactly what the vault started with.
        assertEq(stable.balanceOf(address(vault)), VAULT_STABLE + VAULT_RISK * PRICE_WAD / 1e18);
        assertEq(vault.lastHandledRoundId(), 2);
    }

    function test_rebalance_revertsWithoutSignal() public {
        vm.expectRevert(IDemoVault.DemoVaultNoSignal.selector);
        _rebalance();
    }

    function test_rebalance_revertsOnSecondCallForSameRound() public {
        uint256 roundId = signals.publish(ISignalOracle.Signal.Hold, MINUTE);
        _rebalance();
        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultRoundAlreadyHandled.selector, roundId));
        _rebalance();
    }

    function test_rebalance_acceptsSignalAtMaxAge() public {
        signals.publish(ISignalOracle.Signal.Buy, MINUTE);
        vm.warp(MINUTE + MAX_AGE);
        assertEq(uint8(_rebalance()), uint8(IDemoVault.Action.BuyRisk));
    }

    function testFuzz_rebalance_revertsWhenStale(uint256 age) public {
        age = bound(age, MAX_AGE + 1, 365 days);
        uint256 roundId = signals.publish(ISignalOracle.Signal.Buy, MINUTE);
        vm.warp(MINUTE + age);
        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultStaleSignal.selector, roundId, MINUTE, age, MAX_AGE));
        _rebalance();
        assertEq(vault.lastHandledRoundId(), 0);
    }
}

/// @notice The whole chain on the proof fixture: proven round in the real oracle, then the vault acts on it.
contract DemoVaultProvenTest is OracleTestBase, DemoMarket {
    function setUp() public override {
        super.setUp();
        _deployMarket(oracle);
    }

    function test_rebalance_actsOnProvenSignal() public {
        uint256 roundId = _submitFixture();
        ISignalOracle.Signal signal = ISignalOracle.Signal(fx.signal);
        IDemoVault.Action expected = signal == ISignalOracle.Signal.Buy
            ? IDemoVault.Action.BuyRisk
            : signal == ISignalOracle.Signal.Sell ? IDemoVault.Action.SellRisk : IDemoVault.Action.None;

        vm.expectEmit(true, false, false, false, address(vault));
        emit IDemoVault.Rebalanced(roundId, fx.decisionMinute, signal, expected, 0, 0);
        assertEq(uint8(vault.rebalance()), uint8(expected));

        assertEq(vault.lastHandledRoundId(), roundId);
        if (expected == IDemoVault.Action.BuyRisk) assertEq(stable.balanceOf(address(vault)), 0);
        if (expected == IDemoVault.Action.SellRisk) assertEq(risk.balanceOf(address(vault)), 0);
        if (expected == IDemoVault.Action.None) assertEq(stable.balanceOf(address(vault)), VAULT_STABLE);

        vm.expectRevert(abi.encodeWithSelector(IDemoVault.DemoVaultRoundAlreadyHandled.selector, roundId));
        vault.rebalance();
    }

    function test_rebalance_refusesStaleProvenSignal() public {
        uint256 roundId = _submitFixture();
        vm.warp(fx.decisionMinute + MAX_AGE + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDemoVault.DemoVaultStaleSignal.selector, roundId, fx.decisionMinute, MAX_AGE + 1, MAX_AGE
            )
        );
        vault.rebalance();
    }
}

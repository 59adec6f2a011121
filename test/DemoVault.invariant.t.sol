// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";

import {DemoVault} from "../contracts/DemoVault.sol";
import {SignalOracle} from "../contracts/SignalOracle.sol";
import {DemoToken} from "../contracts/demo/DemoToken.sol";
import {DemoVenue} from "../contracts/demo/DemoVenue.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {ProofFixture} from "./utils/ProofFixture.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice Drives the vault with deposits, redemptions, proven signals, price moves and fee changes, and
/// records any breach of the accounting bounds for the invariants to check.
contract VaultHandler is Test {
    uint256 internal constant BPS = 10_000;

    DemoVault internal vault;
    DemoToken internal stable;
    DemoVenue internal venue;
    SignalOracle internal oracle;
    address internal admin;
    address internal submitter;
    bytes32 internal feedId;
    ProofFixture[3] internal proofs;
    uint64 public minute;
    address[3] internal actors = [makeAddr("alice"), makeAddr("bob"), makeAddr("carol")];

    // Ghosts: breaches found, and what happened.
    uint256 public rebalanceLossBreaches;
    uint256 public rebalanceGainBreaches;
    uint256 public roundTripBreaches;
    uint256 public rebalances;
    uint256 public slippageRefusals;

    DemoVaultInvariantTest internal test;

    constructor(DemoVaultInvariantTest t, ProofFixture[3] memory proofs_, uint64 minute_) {
        test = t;
        (vault, stable, venue, oracle, admin, submitter, feedId) = t.handles();
        for (uint256 i = 0; i < 3; ++i) {
            proofs[i] = proofs_[i];
        }
        minute = minute_;
    }

    function deposit(uint256 actorSeed, uint256 assets) external {
        address who = actors[actorSeed % actors.length];
        assets = bound(assets, 1, 1_000_000e18);
        stable.mint(who, assets);
        vm.startPrank(who);
        stable.approve(address(vault), assets);
        uint256 shares = vault.deposit(assets, who);
        vm.stopPrank();
        // Shares are never worth more than what was paid for them.
        if (vault.previewRedeem(shares) > assets) ++roundTripBreaches;
    }

    function redeem(uint256 actorSeed, uint256 shares) external {
        address who = actors[actorSeed % actors.length];
        uint256 max = vault.maxRedeem(who);
        if (max == 0) return;
        shares = bound(shares, 1, max);
        uint256 preview = vault.previewRedeem(shares);
        vm.prank(who);
        uint256 assets = vault.redeem(shares, who, who);
        if (assets != preview) ++roundTripBreaches;
    }

    /// @dev Publishes a real proof of `signalSeed % 3` for the next minute and rebalances at once.
    function signalAndRebalance(uint8 signalSeed) external {
        uint8 s = signalSeed % 3;
        minute += 60;
        vm.warp(minute + 60);
        ProofFixture storage p = proofs[s];
        bytes memory sigs = test.committeeSignatures(feedId, p.modelId, minute, p.proof, p.instances);
        vm.prank(submitter);
        oracle.submit(feedId, p.modelId, minute, p.proof, p.instances, sigs);

        uint256 before = vault.totalAssets();
        try vault.rebalance() returns (IDemoVault.Action) {
            ++rebalances;
        } catch (bytes memory reason) {
            require(bytes4(reason) == IDemoVault.DemoVaultSlippageExceeded.selector, "unexpected rebalance revert");
            ++slippageRefusals;
            return;
        }
        uint256 afterAssets = vault.totalAssets();
        // At an unchanged mid price a rebalance can only lose the venue's fee, within the slippage bound,
        // plus rounding: at most one base unit of each token (a risk unit is worth price/1e18 stable units).
        uint256 dust = venue.priceWad() / 1e18 + 2;
        if (afterAssets > before + dust) ++rebalanceGainBreaches;
        uint256 floor = before * (BPS - vault.maxSlippageBps()) / BPS;
        if (afterAssets + dust < floor) ++rebalanceLossBreaches;
    }

    function movePrice(uint256 priceWad) external {
        priceWad = bound(priceWad, 10_000e18, 200_000e18);
        vm.prank(admin);
        venue.setPrice(priceWad);
    }

    /// @dev Fees up to twice the vault's slippage bound: above it, rebalances must refuse.
    function setFee(uint256 feeBps) external {
        feeBps = bound(feeBps, 0, 2 * vault.maxSlippageBps());
        vm.prank(admin);
        venue.setFee(feeBps);
    }

    function sumOfBalances() external view returns (uint256 sum) {
        for (uint256 i = 0; i < actors.length; ++i) {
            sum += vault.balanceOf(actors[i]);
        }
    }
}

/// @notice Invariants of the ERC-4626 vault under random operation with real proven signals.
/// forge-config: default.invariant.runs = 24
/// forge-config: default.invariant.depth = 40
/// forge-config: ci.invariant.runs = 48
/// forge-config: ci.invariant.depth = 40
contract DemoVaultInvariantTest is VaultTestBase {
    VaultHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new VaultHandler(this, proofs, minute);
        targetContract(address(handler));
    }

    function handles()
        external
        view
        returns (DemoVault, DemoToken, DemoVenue, SignalOracle, address, address, bytes32)
    {
        return (vault, stable, venue, oracle, admin, submitter, FEED);
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

    /// @notice No value is created or lost by a rebalance beyond the bounded slippage (price moves aside).
    function invariant_rebalanceStaysWithinTheSlippageBound() public view {
        assertEq(handler.rebalanceGainBreaches(), 0, "a rebalance created value");
        assertEq(handler.rebalanceLossBreaches(), 0, "a rebalance lost more than the slippage bound");
    }

    /// @notice Shares are never mis-priced: never redeemable for more than was paid, and redemptions pay
    /// exactly their preview.
    function invariant_sharesAreFairlyPriced() public view {
        assertEq(handler.roundTripBreaches(), 0, "shares mis-priced");
        assertLe(
            vault.convertToAssets(vault.totalSupply()),
            vault.totalAssets() + 1,
            "shares promise more than the vault holds"
        );
    }

    function invariant_supplyIsTheSumOfBalances() public view {
        assertEq(vault.totalSupply(), handler.sumOfBalances());
    }
}

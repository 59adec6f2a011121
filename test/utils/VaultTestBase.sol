// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DemoVault} from "../../contracts/DemoVault.sol";
import {DemoToken} from "../../contracts/demo/DemoToken.sol";
import {DemoVenue} from "../../contracts/demo/DemoVenue.sol";
import {ISignalOracle} from "../../contracts/interfaces/ISignalOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";
import {ProofFixture} from "./ProofFixture.sol";

/// @notice The oracle of {OracleTestBase} plus a demo market: two test tokens, a funded venue and an ERC-4626
/// vault following the feed. Signals are published with real proofs (one fixture per class); a proof does not
/// bind its decision minute, so the same proof serves any later minute once the committee signs it for that
/// minute (here the test committee signs whatever it is asked to).
abstract contract VaultTestBase is OracleTestBase {
    uint256 internal constant PRICE_WAD = 50_000e18; // stable per risk unit
    uint256 internal constant FEE_BPS = 10;
    uint256 internal constant MAX_SLIPPAGE_BPS = 50;
    uint256 internal constant MAX_AGE = 15 minutes;

    DemoToken internal stable;
    DemoToken internal risk;
    DemoVenue internal venue;
    DemoVault internal vault;
    ProofFixture[3] internal proofs;
    uint64 internal minute;

    function setUp() public virtual override {
        super.setUp();
        stable = new DemoToken("Demo USD", "dUSD");
        risk = new DemoToken("Demo BTC", "dBTC");
        venue = new DemoVenue(admin, stable, risk, PRICE_WAD, FEE_BPS);
        stable.mint(address(venue), 1e30);
        risk.mint(address(venue), 1e26);
        vault = new DemoVault(_config(bytes32(0)), "VeriRegime demo vault", "vrVAULT");
        for (uint8 s = 0; s < 3; ++s) {
            proofs[s] = _fixtureOf(ISignalOracle.Signal(s));
            require(proofs[s].signal == s, "fixture proves another signal");
            require(proofs[s].modelId == fx.modelId, "fixtures of different models");
        }
        minute = fx.decisionMinute;
    }

    function _config(bytes32 pinned) internal view returns (DemoVault.Config memory) {
        return DemoVault.Config({
            oracle: oracle,
            feedId: FEED,
            pinnedModelId: pinned,
            venue: venue,
            maxAge: MAX_AGE,
            maxSlippageBps: MAX_SLIPPAGE_BPS
        });
    }

    /// @dev Publishes `signal` (a real proof of it) for the next minute, one minute after its candle closed.
    function _publish(ISignalOracle.Signal signal) internal returns (uint256 roundId) {
        return _publishAs(fx.modelId, signal);
    }

    /// @dev Same, claiming model `modelId` (the feed's current model, or the submission is refused).
    function _publishAs(bytes32 modelId, ISignalOracle.Signal signal) internal returns (uint256 roundId) {
        minute += 60;
        vm.warp(minute + 60);
        ProofFixture storage p = proofs[uint8(signal)];
        return _submitAs(submitter, FEED, modelId, minute, p.proof, p.instances);
    }

    /// @dev Registers a second version of the model (same circuit, new id) and moves the feed to it.
    function _upgradeFeed() internal returns (bytes32 v2) {
        v2 = keccak256("student v2");
        vm.startPrank(admin);
        oracle.registerModel(v2, _model(fx));
        oracle.setFeedModel(FEED, v2);
        vm.stopPrank();
    }

    function _deposit(address who, uint256 assets) internal returns (uint256 shares) {
        stable.mint(who, assets);
        vm.startPrank(who);
        stable.approve(address(vault), assets);
        shares = vault.deposit(assets, who);
        vm.stopPrank();
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {stdJson} from "forge-std/StdJson.sol";

import {DemoVault} from "../contracts/DemoVault.sol";
import {IDemoVault} from "../contracts/interfaces/IDemoVault.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {AcceptingVerifier} from "./utils/mocks/AcceptingVerifier.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice The vault's trading rule and the backtest's (`oracle/core/src/policy.rs`) are one specification with
/// two implementations: `test/fixtures/policy_vectors.json` holds 600 rounds (signals and logits as the oracle
/// stores them, with runs, gaps and exact ties) and, per policy, the action the Rust rule takes on each
/// (`oracle/core/tests/policy_vectors.rs` writes it and checks it against the Rust rule). Here the same rounds go
/// through the real oracle (a verifier that accepts any proof stands in for EZKL's, so that any logits can be
/// published) into the real vault trading on the real Uniswap v2 pair, one rebalance per round, and every round's
/// action and the position after it must be the Rust rule's. The vectors' hold timers (`min_hold`, `max_hold`)
/// are not part of the vault's rule: only the cases without them are driven here.
contract DemoVaultPolicyTest is VaultTestBase {
    using stdJson for string;

    bytes32 internal constant VECTORS_MODEL = keccak256("policy vectors");
    string internal vectors;
    address internal alice = makeAddr("alice");

    function setUp() public override {
        super.setUp();
        vectors = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/policy_vectors.json"));
        require(vectors.readUint(".output_scale") == fx.outputScale, "vectors at another output scale");
        ISignalOracle.Model memory m = _model(fx);
        m.verifier = new AcceptingVerifier();
        vm.startPrank(admin);
        oracle.registerModel(VECTORS_MODEL, m);
        oracle.setFeedModel(FEED, VECTORS_MODEL);
        vm.stopPrank();
    }

    /// @dev The vault of case `k` (its margin and persistence in the constructor), holding 100,000 dUSD.
    function _vaultOf(string memory c) internal returns (DemoVault v) {
        require(vectors.readUint(string.concat(c, ".min_hold_seconds")) == 0, "the vault has no hold timers");
        require(vectors.readUint(string.concat(c, ".max_hold_seconds")) == 0, "the vault has no hold timers");
        DemoVault.Config memory cfg = _config(VECTORS_MODEL);
        // margin_fixed / 2^outputScale logit units, in 18 decimals (exact: 1e18 is a multiple of 2^18).
        cfg.minLogitLeadWad = vectors.readUint(string.concat(c, ".margin_fixed")) * 1e18 >> fx.outputScale;
        cfg.persist = vectors.readUint(string.concat(c, ".policy.persist"));
        v = new DemoVault(cfg, address(timelock), "policy vault", "pv");
        _depositInto(v, alice, 100_000e18);
    }

    /// @dev Drives every round of the vectors through the oracle and `v`; checks each action and position.
    function _drive(uint256 k) internal {
        string memory c = string.concat(".cases[", vm.toString(k), "]");
        DemoVault v = _vaultOf(c);
        // One copy in memory: reading the storage string for each round would copy it each time.
        string memory json = vectors;
        bytes memory expected = bytes(json.readString(string.concat(c, ".actions")));
        // The vectors' minutes, moved so that the first is the test clock's next minute (only gaps matter).
        uint64 shift = minute + 60 - uint64(json.readUint(".rounds[0].minute"));
        uint256 trades;
        for (uint256 i = 0; i < expected.length; ++i) {
            IDemoVault.Action want = expected[i] == "B"
                ? IDemoVault.Action.BuyRisk
                : expected[i] == "S" ? IDemoVault.Action.SellRisk : IDemoVault.Action.None;
            if (_round(v, json, i, shift) != want) {
                revert(string.concat("round ", vm.toString(i), ": the vault's action differs from the Rust rule's"));
            }
            if (want != IDemoVault.Action.None) ++trades;
            // The position: all risk after a buy, all stable after a sell.
            assertEq(risk.balanceOf(address(v)) > 0, stable.balanceOf(address(v)) == 0, "the vault holds both");
        }
        assertGt(trades, 1, "the case does not trade");
    }

    /// @dev Publishes round `i` of the vectors (`json`) at its minute plus `shift` and rebalances `v` at once.
    function _round(DemoVault v, string memory json, uint256 i, uint64 shift) internal returns (IDemoVault.Action) {
        string memory r = string.concat(".rounds[", vm.toString(i), "]");
        uint64 decisionMinute = uint64(json.readUint(string.concat(r, ".minute"))) + shift;
        int256[] memory logits = json.readIntArray(string.concat(r, ".logits"));
        uint256[] memory instances = new uint256[](3);
        for (uint256 j = 0; j < 3; ++j) {
            instances[j] = _encode(logits[j]);
        }
        vm.warp(decisionMinute + 60);
        uint256 roundId = _submitAs(submitter, FEED, VECTORS_MODEL, decisionMinute, fx.proof, instances);
        assertEq(
            uint8(oracle.getRound(FEED, roundId).signal),
            json.readUint(string.concat(r, ".signal")),
            "the oracle's signal is not the vectors'"
        );
        minute = decisionMinute;
        return v.rebalance();
    }

    /// @notice The plain rule (every BUY buys, every SELL sells).
    function test_vectors_plainRule() public {
        _drive(0);
    }

    /// @notice The adopted policy (models/policy.json): a lead of 0.75 logits and 5 rounds in a row.
    function test_vectors_adoptedPolicy() public {
        _drive(1);
    }

    /// @notice A smaller margin with a run of 2.
    function test_vectors_marginAndRunOfTwo() public {
        _drive(2);
    }

    /// @notice A run is counted over rounds at consecutive minutes of the pinned model only, on real proofs: a BUY
    /// after a gap, or after the feed moved to another model and back, starts a new run.
    function test_actionFor_countsRunsAtConsecutiveMinutesOfThePinnedModel() public {
        DemoVault.Config memory cfg = _config(fx.modelId);
        cfg.persist = 3;
        vm.prank(admin);
        oracle.setFeedModel(FEED, fx.modelId);
        DemoVault v = new DemoVault(cfg, address(timelock), "v", "v");
        uint256 a = _publish(ISignalOracle.Signal.Buy);
        uint256 b = _publish(ISignalOracle.Signal.Buy);
        assertEq(uint8(v.actionFor(a)), uint8(IDemoVault.Action.None), "a run of 1 of 3");
        assertEq(uint8(v.actionFor(b)), uint8(IDemoVault.Action.None), "a run of 2 of 3");
        uint256 c = _publish(ISignalOracle.Signal.Buy);
        assertEq(uint8(v.actionFor(c)), uint8(IDemoVault.Action.BuyRisk), "a run of 3");
        // A missing minute ends the run.
        vm.warp(block.timestamp + 120);
        uint256 d = _publish(ISignalOracle.Signal.Buy);
        assertEq(uint8(v.actionFor(d)), uint8(IDemoVault.Action.None), "after a gap");
        // The other class ends it too; SELL needs its own three.
        _publish(ISignalOracle.Signal.Buy);
        _publish(ISignalOracle.Signal.Sell);
        _publish(ISignalOracle.Signal.Sell);
        assertEq(uint8(v.actionFor(_publish(ISignalOracle.Signal.Sell))), uint8(IDemoVault.Action.SellRisk));
        // A round of another model in the run: the vault counts only its pinned model's rounds.
        _publishAs(fx.modelId, ISignalOracle.Signal.Buy);
        vm.prank(admin);
        oracle.setFeedModel(FEED, VECTORS_MODEL);
        _publishAs(VECTORS_MODEL, ISignalOracle.Signal.Buy);
        vm.prank(admin);
        oracle.setFeedModel(FEED, fx.modelId);
        uint256 e = _publishAs(fx.modelId, ISignalOracle.Signal.Buy);
        assertEq(uint8(v.actionFor(e)), uint8(IDemoVault.Action.None), "a foreign round in the run");
    }

    /// @notice The margin on real proofs: the BUY fixture's lead is (429 - 409) / 2^13 logits; a vault asking for
    /// exactly that acts on it, one asking for one fixed-point unit more does not.
    function test_actionFor_appliesTheMarginExactly() public {
        vm.prank(admin);
        oracle.setFeedModel(FEED, fx.modelId);
        uint256 buy = _publish(ISignalOracle.Signal.Buy);
        int256[3] memory l = oracle.getRound(FEED, buy).logits;
        uint256 lead = uint256(l[2] - (l[0] > l[1] ? l[0] : l[1]));
        DemoVault.Config memory cfg = _config(fx.modelId);
        cfg.minLogitLeadWad = lead * 1e18 >> fx.outputScale;
        assertEq(
            uint8(new DemoVault(cfg, address(timelock), "v", "v").actionFor(buy)), uint8(IDemoVault.Action.BuyRisk)
        );
        cfg.minLogitLeadWad = (lead + 1) * 1e18 >> fx.outputScale;
        assertEq(uint8(new DemoVault(cfg, address(timelock), "v", "v").actionFor(buy)), uint8(IDemoVault.Action.None));
        // A lead between two fixed-point steps rounds up: just above `lead` units is refused.
        cfg.minLogitLeadWad = (lead * 1e18 >> fx.outputScale) + 1;
        assertEq(uint8(new DemoVault(cfg, address(timelock), "v", "v").actionFor(buy)), uint8(IDemoVault.Action.None));
    }
}

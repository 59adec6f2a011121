// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";

import {SignalOracle} from "../../contracts/SignalOracle.sol";
import {IHalo2Verifier} from "../../contracts/interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "../../contracts/interfaces/ISignalOracle.sol";
import {FieldDecode} from "../../contracts/libraries/FieldDecode.sol";
import {Halo2Verifier} from "../../contracts/generated/Halo2Verifier.sol";
import {ProofFixture, ProofFixtureLib} from "./ProofFixture.sol";

/// @notice Shared set-up: the model's real EZKL verifier, real proofs of the shipped student (one per class),
/// and an oracle with the model registered, one feed, and one allowed submitter. The clock starts one minute
/// after the HOLD fixture's decision minute (its candle just closed).
abstract contract OracleTestBase is Test {
    string internal constant FIXTURE_PATH = "test/fixtures/proof.json";
    string internal constant FIXTURE_DIR = "test/fixtures/";
    bytes32 internal constant FEED = keccak256("BTCUSDT-1m");
    uint32 internal constant MAX_DELAY = 10 minutes;

    address internal admin = makeAddr("admin");
    address internal submitter = makeAddr("submitter");

    IHalo2Verifier internal verifier;
    SignalOracle internal oracle;
    ProofFixture internal fx;

    function setUp() public virtual {
        verifier = IHalo2Verifier(address(new Halo2Verifier()));
        fx = ProofFixtureLib.load(vm, FIXTURE_PATH);
        oracle = new SignalOracle(admin);
        vm.startPrank(admin);
        oracle.registerModel(fx.modelId, _model(fx));
        oracle.createFeed(FEED, "BTCUSDT 1m, 60-minute horizon", fx.modelId, MAX_DELAY);
        oracle.grantRole(oracle.SUBMITTER_ROLE(), submitter);
        vm.stopPrank();
        vm.warp(fx.decisionMinute + 60);
    }

    /// @dev The model registry entry of a fixture's circuit, outputs in class order SELL, HOLD, BUY.
    function _model(ProofFixture memory f) internal view returns (ISignalOracle.Model memory) {
        return ISignalOracle.Model({
            verifier: verifier,
            // forge-lint: disable-next-line(unsafe-typecast)
            nInputs: uint16(f.nInputs),
            commitmentOffset: f.commitmentOffset,
            commitmentLength: f.commitmentLength,
            outputScale: f.outputScale,
            outputClass: [ISignalOracle.Signal.Sell, ISignalOracle.Signal.Hold, ISignalOracle.Signal.Buy]
        });
    }

    /// @dev The fixture proving `signal` (0 SELL, 1 HOLD, 2 BUY): a real proof on a real window.
    function _fixtureOf(ISignalOracle.Signal signal) internal view returns (ProofFixture memory) {
        string[3] memory names = ["proof_sell.json", "proof_hold.json", "proof_buy.json"];
        return ProofFixtureLib.load(vm, string.concat(FIXTURE_DIR, names[uint8(signal)]));
    }

    /// @dev Reference field encoding of a signed value (independent of {FieldDecode}).
    function _encode(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : FieldDecode.P - uint256(-x);
    }

    function _submit(uint64 decisionMinute, bytes memory proof, uint256[] memory instances) internal returns (uint256) {
        vm.prank(submitter);
        return oracle.submit(FEED, fx.modelId, decisionMinute, proof, instances);
    }

    function _submitFixture() internal returns (uint256) {
        return _submit(fx.decisionMinute, fx.proof, fx.instances);
    }

    /// @dev A copy of the fixture's instances with entry `index` replaced by `value`.
    function _instancesWith(uint256 index, uint256 value) internal view returns (uint256[] memory instances) {
        instances = fx.instances;
        instances[index] = value;
    }

    /// @dev Reference input binding: keccak256 of the input instances, then the commitment bytes.
    function _binding(ProofFixture memory f) internal pure returns (bytes32) {
        bytes memory buf;
        for (uint256 i = 0; i < f.nInputs; ++i) {
            buf = bytes.concat(buf, bytes32(f.instances[i]));
        }
        for (uint256 i = 0; i < f.commitmentLength; ++i) {
            buf = bytes.concat(buf, f.proof[f.commitmentOffset + i]);
        }
        return keccak256(buf);
    }
}

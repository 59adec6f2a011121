// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";

import {SignalOracle} from "../../contracts/SignalOracle.sol";
import {IHalo2Verifier} from "../../contracts/interfaces/IHalo2Verifier.sol";
import {FieldDecode} from "../../contracts/libraries/FieldDecode.sol";
import {Halo2Verifier} from "../../contracts/generated/Halo2Verifier.sol";
import {ProofFixture, ProofFixtureLib} from "./ProofFixture.sol";

/// @notice Shared set-up: the model's verifier, a proof fixture, and an oracle for that model with one
/// allowed submitter. The clock starts one minute after the fixture's decision minute.
abstract contract OracleTestBase is Test {
    string internal constant FIXTURE_PATH = "test/fixtures/proof.json";

    address internal owner = makeAddr("owner");
    address internal submitter = makeAddr("submitter");

    IHalo2Verifier internal verifier;
    SignalOracle internal oracle;
    ProofFixture internal fx;

    function setUp() public virtual {
        ProofFixture memory fixture;
        (verifier, fixture) = _verifierAndFixture();
        fx = fixture;
        oracle = new SignalOracle(owner, verifier, fx.modelId, fx.nInputs, fx.outputScale);
        vm.prank(owner);
        oracle.setSubmitter(submitter, true);
        vm.warp(fx.decisionMinute + 60);
    }

    /// @dev The real EZKL-generated verifier and a real proof of the shipped student on a real window
    /// (`veriregime circuit build` writes both).
    function _verifierAndFixture() internal virtual returns (IHalo2Verifier, ProofFixture memory) {
        return (IHalo2Verifier(address(new Halo2Verifier())), ProofFixtureLib.load(vm, FIXTURE_PATH));
    }

    /// @dev Reference field encoding of a signed value (independent of {FieldDecode}).
    function _encode(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : FieldDecode.P - uint256(-x);
    }

    function _submit(uint64 decisionMinute, bytes memory proof, uint256[] memory instances) internal returns (uint256) {
        vm.prank(submitter);
        return oracle.submit(decisionMinute, proof, instances);
    }

    function _submitFixture() internal returns (uint256) {
        return _submit(fx.decisionMinute, fx.proof, fx.instances);
    }

    /// @dev A copy of the fixture's instances with entry `index` replaced by `value`.
    function _instancesWith(uint256 index, uint256 value) internal view returns (uint256[] memory instances) {
        instances = fx.instances;
        instances[index] = value;
    }

    function _inputHash(uint256[] memory instances, uint256 nInputs) internal pure returns (bytes32 hash) {
        uint256[] memory inputs = new uint256[](nInputs);
        for (uint256 i = 0; i < nInputs; ++i) {
            inputs[i] = instances[i];
        }
        return keccak256(abi.encodePacked(inputs));
    }
}

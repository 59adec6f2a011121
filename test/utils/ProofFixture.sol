// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {stdJson} from "forge-std/StdJson.sol";

/// @notice A proof of the model with the values the pipeline expects the oracle to decode from it.
struct ProofFixture {
    bytes32 modelId;
    uint256 nInputs;
    uint16 commitmentOffset;
    uint16 commitmentLength;
    uint8 outputScale;
    uint64 decisionMinute;
    bytes proof;
    uint256[] instances;
    uint8 signal;
    int256[3] logits;
}

/// @title ProofFixtureLib
/// @notice Reads `test/fixtures/proof.json`, written by the EZKL pipeline. Format (extra keys are ignored):
///
///     {
///       "model_id": "0x<64 hex>",          // bytes32, e.g. sha256 of network.onnx
///       "n_inputs": 420,                   // input instances before the 3 outputs (0 when committed)
///       "commitment_offset": 0,            // optional: where the input commitment sits in the proof bytes
///       "commitment_length": 64,           // optional: its length (0 or absent: inputs are public instances)
///       "output_scale": 7,                 // outputs are fixed point at 2^output_scale
///       "decision_minute": 1711929600,     // unix seconds of the decision candle's open (multiple of 60)
///       "proof": "0x<hex>",                // proof bytes exactly as passed to verifyProof
///       "instances": ["0x<64 hex>", ...],  // n_inputs + 3 uint256 values exactly as passed to verifyProof:
///                                          // big-endian (NOT ezkl's little-endian field repr); decimal strings ok
///       "signal": 2,                       // expected argmax: 0 SELL, 1 HOLD, 2 BUY
///       "logits_fixed": ["-123", "45", "678"], // expected decoded outputs (integers at output_scale)
///       "logits": [-0.96, 0.35, 5.29]      // informational (dequantized floats); not read here
///     }
library ProofFixtureLib {
    using stdJson for string;

    /// @notice Parses a fixture from its JSON text and checks that it is self-consistent.
    function parse(string memory json) internal view returns (ProofFixture memory fx) {
        fx.modelId = json.readBytes32(".model_id");
        fx.nInputs = json.readUint(".n_inputs");
        fx.commitmentOffset = uint16(json.readUintOr(".commitment_offset", 0));
        fx.commitmentLength = uint16(json.readUintOr(".commitment_length", 0));
        fx.outputScale = uint8(json.readUint(".output_scale"));
        fx.decisionMinute = uint64(json.readUint(".decision_minute"));
        fx.proof = json.readBytes(".proof");
        fx.instances = json.readUintArray(".instances");
        fx.signal = uint8(json.readUint(".signal"));
        int256[] memory logits = json.readIntArray(".logits_fixed");
        require(logits.length == 3, "fixture: logits_fixed must have 3 entries");
        require(fx.instances.length == fx.nInputs + 3, "fixture: instances must be n_inputs + 3");
        require(fx.signal <= 2, "fixture: signal must be 0, 1 or 2");
        require(fx.decisionMinute % 60 == 0, "fixture: decision_minute must be a whole minute");
        require(
            uint256(fx.commitmentOffset) + fx.commitmentLength <= fx.proof.length,
            "fixture: commitment must lie inside the proof"
        );
        fx.logits = [logits[0], logits[1], logits[2]];
    }

    /// @notice Reads and parses the fixture at `path` (needs read access in `fs_permissions`).
    function load(Vm vm, string memory path) internal view returns (ProofFixture memory) {
        return parse(vm.readFile(path));
    }
}

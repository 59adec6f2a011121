// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IHalo2Verifier
/// @notice The entry point of the EZKL-generated Halo2 (KZG, BN254) verifier in `contracts/generated/`.
/// @dev The generated contract checks the proof length, `instances.length` and that every instance is a
/// canonical field element (`< r`). It reverts with empty data on a bad proof and returns `true` otherwise;
/// callers must treat a revert and a `false` alike as rejection. It is not `view`: call it with `CALL`.
interface IHalo2Verifier {
    /// @notice Verifies `proof` against the public `instances` of the circuit.
    /// @param proof The serialized Halo2 proof (the `proof` bytes of EZKL's EVM calldata).
    /// @param instances The public instances, one field element per word, in circuit order.
    /// @return True when the proof is valid (the EZKL verifier reverts instead of returning false).
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external returns (bool);
}

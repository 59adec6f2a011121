// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IHalo2Verifier} from "../../../contracts/interfaces/IHalo2Verifier.sol";

/// @title MockHalo2Verifier
/// @notice STAND-IN for the EZKL verifier until `contracts/generated/Halo2Verifier.sol` exists; delete it then.
/// @dev Mimics the generated verifier's interface and failure mode: it reverts with empty data unless every
/// instance is below the field modulus and `proof` is exactly {proofFor}`(instances)` (so changing any proof
/// byte or any instance is rejected).
contract MockHalo2Verifier is IHalo2Verifier {
    uint256 private constant R =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;
    uint256 private constant PROOF_WORDS = 24;

    /// @notice The only proof accepted for `instances`.
    function proofFor(uint256[] memory instances) public pure returns (bytes memory proof) {
        bytes32 digest = keccak256(abi.encodePacked("MockHalo2Verifier", instances));
        for (uint256 i = 0; i < PROOF_WORDS; ++i) {
            proof = abi.encodePacked(proof, keccak256(abi.encodePacked(digest, i)));
        }
    }

    /// @inheritdoc IHalo2Verifier
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external pure returns (bool) {
        bool ok = keccak256(proof) == keccak256(proofFor(instances));
        for (uint256 i = 0; i < instances.length; ++i) {
            ok = ok && instances[i] < R;
        }
        if (!ok) {
            assembly ("memory-safe") {
                revert(0, 0)
            }
        }
        return true;
    }
}

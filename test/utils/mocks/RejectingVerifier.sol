// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IHalo2Verifier} from "../../../contracts/interfaces/IHalo2Verifier.sol";

/// @notice A verifier that returns `false` instead of reverting, to check the oracle treats both as rejection.
contract RejectingVerifier is IHalo2Verifier {
    /// @inheritdoc IHalo2Verifier
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return false;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISignalOracle} from "../../../contracts/interfaces/ISignalOracle.sol";

/// @notice Serves a settable latest signal, to drive the vault through every case without proofs.
/// @dev Implements only what the vault reads; cast it with `ISignalOracle(address(mock))`.
contract MockSignalOracle {
    ISignalOracle.Signal private _signal;
    uint64 private _decisionMinute;
    uint256 private _roundId;

    /// @notice Publishes a new round with `signal` for `decisionMinute` and returns its id.
    function publish(ISignalOracle.Signal signal, uint64 decisionMinute) external returns (uint256) {
        _signal = signal;
        _decisionMinute = decisionMinute;
        return ++_roundId;
    }

    /// @notice Same shape as {ISignalOracle-latestSignal}.
    function latestSignal() external view returns (ISignalOracle.Signal, uint64, uint256) {
        return (_signal, _decisionMinute, _roundId);
    }
}

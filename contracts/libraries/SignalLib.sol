// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISignalOracle} from "../interfaces/ISignalOracle.sol";

/// @title SignalLib
/// @notice Turns the model's output logits into a signal.
library SignalLib {
    /// @notice The argmax of `logits` (class order SELL, HOLD, BUY).
    /// @dev Tie rule: HOLD wins any tie it is part of (acting needs a strict preference); a tie between
    /// SELL and BUY goes to the lower class, SELL (the risk-off side).
    function fromLogits(int256[3] memory logits) internal pure returns (ISignalOracle.Signal signal) {
        signal = ISignalOracle.Signal.Hold;
        int256 best = logits[uint8(ISignalOracle.Signal.Hold)];
        if (logits[uint8(ISignalOracle.Signal.Sell)] > best) {
            signal = ISignalOracle.Signal.Sell;
            best = logits[uint8(ISignalOracle.Signal.Sell)];
        }
        if (logits[uint8(ISignalOracle.Signal.Buy)] > best) {
            signal = ISignalOracle.Signal.Buy;
        }
    }
}

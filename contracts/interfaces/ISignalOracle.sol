// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IHalo2Verifier} from "./IHalo2Verifier.sol";

/// @title ISignalOracle
/// @notice Publishes trading signals whose model evaluation is proven with EZKL (Halo2, KZG, BN254).
///
/// A round is accepted only with a valid proof for the public instances `[inputs..., outputs...]`: first the
/// `nInputs()` model inputs, then the `NUM_OUTPUTS` output logits in class order SELL, HOLD, BUY. Each
/// instance is a BN254 scalar field element encoding a fixed-point number (outputs use scale `2^outputScale()`).
/// The signal is the argmax of the decoded logits; on a tie HOLD wins, then the lower class.
///
/// The proof binds the outputs to the inputs, not the inputs to the market: that is why submitters are
/// allow-listed by the owner, and why each round records `inputHash` so anyone can recompute the inputs
/// from public candles and check them.
interface ISignalOracle {
    /// @notice The classes of the model, in output order.
    enum Signal {
        Sell,
        Hold,
        Buy
    }

    /// @notice One published signal.
    /// @param signal The argmax of `logits` (ties: HOLD, then the lower class).
    /// @param decisionMinute Open time (unix seconds) of the candle the decision is for.
    /// @param submittedAt `block.timestamp` of the submission.
    /// @param submitter The account that submitted the proof.
    /// @param logits The decoded output logits (fixed point, scale `2^outputScale()`), SELL, HOLD, BUY.
    /// @param inputHash `keccak256` of the input instances as 32-byte big-endian words, concatenated.
    struct Round {
        Signal signal;
        uint64 decisionMinute;
        uint64 submittedAt;
        address submitter;
        int256[3] logits;
        bytes32 inputHash;
    }

    /// @notice Emitted once at construction with the model this oracle serves.
    event ModelConfigured(bytes32 indexed modelId, address verifier, uint256 nInputs, uint8 outputScale);

    /// @notice Emitted when the owner grants or revokes the right to submit rounds.
    event SubmitterSet(address indexed account, bool allowed);

    /// @notice Emitted for every accepted round.
    event SignalSubmitted(
        uint256 indexed roundId,
        uint64 indexed decisionMinute,
        Signal signal,
        int256[3] logits,
        bytes32 inputHash,
        address indexed submitter
    );

    /// @notice The verifier address has no code.
    error SignalOracleInvalidVerifier(address verifier);

    /// @notice The model must have at least one input.
    error SignalOracleInvalidInputCount(uint256 nInputs);

    /// @notice `account` is not allowed to submit rounds.
    error SignalOracleUnauthorizedSubmitter(address account);

    /// @notice The submission does not carry `nInputs() + NUM_OUTPUTS` instances.
    error SignalOracleInstanceCountMismatch(uint256 expected, uint256 actual);

    /// @notice `decisionMinute` is not a whole minute (a multiple of 60 seconds).
    error SignalOracleUnalignedMinute(uint64 decisionMinute);

    /// @notice The candle of `decisionMinute` has not closed yet (`decisionMinute + 60 > block.timestamp`).
    error SignalOracleMinuteInFuture(uint64 decisionMinute, uint256 blockTimestamp);

    /// @notice Rounds must strictly increase by `decisionMinute` (this also rejects replays).
    error SignalOracleRoundNotAfterLatest(uint64 decisionMinute, uint64 latestDecisionMinute);

    /// @notice The verifier rejected the proof (it reverted or returned false).
    error SignalOracleProofRejected(address verifier);

    /// @notice No round has id `roundId` (ids start at 1; 0 means "no round").
    error SignalOracleUnknownRound(uint256 roundId);

    /// @notice Number of model outputs at the end of the instances: logits for SELL, HOLD, BUY.
    function NUM_OUTPUTS() external view returns (uint256);

    /// @notice The EZKL verifier of the model circuit.
    function verifier() external view returns (IHalo2Verifier);

    /// @notice Identifier of the model (e.g. the sha256 of its ONNX file).
    function modelId() external view returns (bytes32);

    /// @notice Number of input instances that precede the outputs.
    function nInputs() external view returns (uint256);

    /// @notice Fixed-point exponent of the outputs: a logit `x` stands for `x / 2^outputScale`.
    function outputScale() external view returns (uint8);

    /// @notice Whether `account` may submit rounds.
    function isSubmitter(address account) external view returns (bool);

    /// @notice Grants (`allowed = true`) or revokes the right of `account` to submit rounds. Owner only.
    function setSubmitter(address account, bool allowed) external;

    /// @notice Verifies a proof of the model on `instances` and publishes its signal as a new round.
    /// @param decisionMinute Open time (unix seconds, a multiple of 60) of the candle the decision is for;
    /// must be later than the latest round's, and its candle must have closed (`decisionMinute + 60 <= block.timestamp`).
    /// @param proof The EZKL proof bytes.
    /// @param instances `nInputs()` inputs followed by the `NUM_OUTPUTS` output logits.
    /// @return roundId The id of the new round (ids start at 1).
    function submit(uint64 decisionMinute, bytes calldata proof, uint256[] calldata instances)
        external
        returns (uint256 roundId);

    /// @notice Id of the latest round, 0 when none was published.
    function latestRoundId() external view returns (uint256);

    /// @notice The latest round. Reverts with {SignalOracleUnknownRound} when none was published.
    function latestRound() external view returns (Round memory);

    /// @notice The latest signal; never reverts. `roundId == 0` means that no signal was published yet
    /// (and the other values are then zero).
    function latestSignal() external view returns (Signal signal, uint64 decisionMinute, uint256 roundId);

    /// @notice The round `roundId`. Reverts with {SignalOracleUnknownRound} if it does not exist.
    function getRound(uint256 roundId) external view returns (Round memory);
}

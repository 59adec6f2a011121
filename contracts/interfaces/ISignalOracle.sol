// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

import {IHalo2Verifier} from "./IHalo2Verifier.sol";

/// @title ISignalOracle
/// @notice Publishes trading signals whose model evaluation is proven with EZKL (Halo2, KZG, BN254).
///
/// **Feeds and models.** A feed (one per market, e.g. BTCUSDT 1m) has a current model. Models live in a
/// registry keyed by a model id (e.g. the sha256 of the ONNX file); each names its verifier and how to read
/// the proof's public instances. The admin adds model versions and moves a feed to a new model: consumers
/// keep reading the same feed and never redeploy; a consumer that wants one model only pins its id and checks
/// the `modelId` that {latestSignal} returns.
///
/// **Instances.** A proof's public instances are `[inputs..., outputs...]`: first the model's `nInputs`
/// input instances (the inputs themselves, or a hash of them, or none when they are committed inside the
/// proof), then `NUM_OUTPUTS` output logits. Each is a BN254 scalar field element encoding a fixed-point
/// number: negatives are `r - |x|`, outputs use scale `2^outputScale`. `outputClass[i]` says which class
/// output `i` is. The signal is the argmax of the decoded logits; on a tie HOLD wins, then SELL.
///
/// **Input binding.** The proof binds the outputs to the inputs, not the inputs to the market: the feed's
/// committee does (below), and every round stores `inputBinding`, the keccak256 of the input instances
/// followed by the model's commitment bytes of the proof (`proof[commitmentOffset:][:commitmentLength]`).
/// Anyone can recompute the inputs from public candles (`veriregime audit`) and check them against it.
///
/// **Committee.** A proof says "the model maps some committed input to these logits", not which market window
/// that input is: one real proof could be replayed for any later minute or another feed. So each feed has a
/// committee of `n` independent operators and a threshold `k`, and a round needs `k` of them to sign, with
/// EIP-712, the report `Report(bytes32 feedId,bytes32 modelId,uint64 decisionMinute,bytes32 inputBinding,
/// uint32 committeeVersion)`: this feed, model and minute, and the `inputBinding` the submitted proof carries
/// (recomputed by the oracle from the proof, never taken from the transmitter). The EIP-712 domain is
/// `{name: "VeriRegime SignalOracle", version: "1", chainId, verifyingContract: the oracle}` ({eip712Domain}).
/// Submitters (`SUBMITTER_ROLE`) remain the allow-list of transmitters: they send the proof and the signatures
/// and are recorded as the round's submitter, but cannot publish anything the committee did not sign.
///
/// **Committee versions.** Every {setCommittee} starts a new version of the feed's committee (1, 2, ...). The
/// signed report names the version, and a submission is checked against the current one only, so a signature
/// made under an earlier committee never counts after a rotation, even by a member that stays: it is a
/// signature over another report.
///
/// **Governance.** One admin (OpenZeppelin `AccessControlDefaultAdminRules`: `defaultAdmin()`, handed over in
/// two steps with a delay) holds `DEFAULT_ADMIN_ROLE`: models, feeds, committees and transmitters. Deployed,
/// that admin is a `TimelockController`: every such change is scheduled in public and executes after its delay,
/// in which a guardian can cancel it and consumers can react (see below). The registry records each verifier's
/// code hash at registration and refuses a round whose verifier's code has changed since, and refuses to
/// register an EIP-7702 delegated account (its code is a pointer that can be re-aimed). A proxy's own code does
/// not change when its implementation does: governance registers plain verifier contracts only (EZKL's are).
///
/// **Consumers: the one read path.**
///   1. `(signal, decisionMinute, roundId, modelId, validUntil) = currentSignal(feedId)`. It reverts with
///      {SignalOracleNoRound} before the feed's first round (there is no default value to mistake for a signal)
///      and with {SignalOracleNotCurrent} once the latest round's heartbeat ran out. `latestSignal` is the same
///      read without the heartbeat check.
///   2. Require `modelId` to be the model you trust (pin it; the feed can move to another model through
///      governance's delay, and a pinned consumer re-pins in the same delayed batch: see the demo vault).
///   3. Freshness, the one reference used by the oracle, the Chainlink adapter and the demo vault alike: a
///      signal is **valid from** `decisionMinute + 60`, the close of its input window's last candle (the first
///      moment all its inputs are final). Its age is `block.timestamp - (decisionMinute + 60)`. The oracle accepts
///      a round at most the feed's `maxDelay` after that moment, the adapter reports it as `updatedAt`, the vault
///      acts while the age is at most its `maxAge`. A round stays **current** from that moment until the feed's
///      next round, or until the round due after it is late: `heartbeat + maxDelay` seconds later ({Feed},
///      {currentSignal}). With the default heartbeat of 60 s a round comes every minute; with a longer one the
///      nodes transmit changes of the signal and an unchanged round `heartbeat` after the last, so silence
///      means "unchanged" for at most that long. The model predicts the return over the 60 minutes that follow
///      (to the close 60 candles later, `decisionMinute + 60 + 3600`); after that horizon a signal says nothing.
///
/// `decisionMinute` is the open time of the last 1-minute candle of the round's input window (the window is the
/// candles up to and including that one). The proof does not bind it: the committee vouches for it, `k` members
/// signing it in the round's report after computing the window themselves (see the oracle network issue); the
/// oracle only checks that it is a whole minute, its candle closed, no more than `maxDelay` ago, and later than
/// the feed's previous round.
interface ISignalOracle is IERC5267 {
    /// @notice The classes of the model.
    enum Signal {
        Sell,
        Hold,
        Buy
    }

    /// @notice A model version: its verifier and how its proof's instances are read.
    /// @param verifier The EZKL verifier of the model circuit.
    /// @param nInputs Number of input instances before the outputs (0 if the inputs are committed in the proof).
    /// @param commitmentOffset Offset in the proof bytes of the input commitment hashed into `inputBinding`.
    /// @param commitmentLength Length of that commitment in bytes (0 when the inputs are public instances).
    /// @param outputScale Fixed-point exponent of the outputs: a logit `x` stands for `x / 2^outputScale`.
    /// @param outputClass `outputClass[i]` is the class of output `i` (a permutation of SELL, HOLD, BUY).
    struct Model {
        IHalo2Verifier verifier;
        uint16 nInputs;
        uint16 commitmentOffset;
        uint16 commitmentLength;
        uint8 outputScale;
        Signal[3] outputClass;
    }

    /// @notice A feed: the market it follows and the model that currently serves it.
    /// @param modelId The model that submissions must be proven with.
    /// @param maxDelay Latest acceptable submission, in seconds after the decision candle closed.
    /// @param latestRoundId Id of the latest round (0 before the first).
    /// @param heartbeat The longest gap between the decision minutes of consecutive rounds, seconds: a whole
    /// number of minutes, 60 (a round every decision minute, the default) or more (the nodes transmit a round
    /// when the signal changes, and an unchanged one `heartbeat` after the last). A round is current until the
    /// next one is due and late: `decisionMinute + 60 + heartbeat + maxDelay` ({currentSignal}).
    struct Feed {
        bytes32 modelId;
        uint32 maxDelay;
        uint64 latestRoundId;
        uint32 heartbeat;
    }

    /// @notice One published signal.
    /// @param signal The argmax of `logits` (ties: HOLD, then SELL).
    /// @param decisionMinute Open time (unix seconds) of the input window's last 1m candle; valid from `+ 60`.
    /// @param submittedAt `block.timestamp` of the submission.
    /// @param submitter The operator that submitted the proof.
    /// @param modelId The model the proof is for.
    /// @param logits The decoded logits in class order SELL, HOLD, BUY (fixed point, scale `2^outputScale`).
    /// @param inputBinding keccak256 of the input instances (32-byte big-endian words) and the commitment bytes.
    struct Round {
        Signal signal;
        uint64 decisionMinute;
        uint64 submittedAt;
        address submitter;
        bytes32 modelId;
        int256[3] logits;
        bytes32 inputBinding;
    }

    /// @notice Emitted when the admin registers a model version.
    event ModelRegistered(
        bytes32 indexed modelId,
        address verifier,
        uint16 nInputs,
        uint16 commitmentOffset,
        uint16 commitmentLength,
        uint8 outputScale,
        Signal[3] outputClass
    );

    /// @notice Emitted when the admin creates a feed.
    event FeedCreated(bytes32 indexed feedId, string description, bytes32 indexed modelId, uint32 maxDelay);

    /// @notice Emitted when a feed moves to another model (the upgrade path; consumers keep the feed).
    event FeedModelSet(bytes32 indexed feedId, bytes32 indexed previousModelId, bytes32 indexed modelId);

    /// @notice Emitted when a feed's submission window changes.
    event FeedMaxDelaySet(bytes32 indexed feedId, uint32 maxDelay);

    /// @notice Emitted when a feed's heartbeat changes (see {Feed}).
    event FeedHeartbeatSet(bytes32 indexed feedId, uint32 heartbeat);

    /// @notice Emitted for every accepted round.
    /// @param submitter The transmitter (a `SUBMITTER_ROLE` account).
    /// @param committeeVersion The feed's committee version the round was signed under.
    /// @param signers The committee members that signed the round's report: bit `i` set for member `i` of
    /// that version (its index in {getCommittee}'s `members`).
    event SignalSubmitted(
        bytes32 indexed feedId,
        uint256 indexed roundId,
        bytes32 indexed modelId,
        uint64 decisionMinute,
        Signal signal,
        int256[3] logits,
        bytes32 inputBinding,
        address submitter,
        uint32 committeeVersion,
        uint256 signers
    );

    /// @notice Emitted when the admin sets a feed's committee: version `version` (1 for the first, then one
    /// more at each change) has these members, in index order, and needs `threshold` of them per round.
    /// Signatures made under earlier versions no longer count.
    event CommitteeSet(bytes32 indexed feedId, uint32 indexed version, address[] members, uint8 threshold);

    /// @notice The verifier address has no code, or is an EIP-7702 delegated account.
    error SignalOracleInvalidVerifier(address verifier);
    /// @notice `outputClass` is not a permutation of SELL, HOLD, BUY.
    error SignalOracleInvalidOutputClasses();
    /// @notice The model id is zero or already registered (versions are immutable: register a new id).
    error SignalOracleModelExists(bytes32 modelId);
    /// @notice No model has this id.
    error SignalOracleUnknownModel(bytes32 modelId);
    /// @notice The feed id is zero or already in use.
    error SignalOracleFeedExists(bytes32 feedId);
    /// @notice No feed has this id.
    error SignalOracleUnknownFeed(bytes32 feedId);
    /// @notice A zero submission window.
    error SignalOracleInvalidMaxDelay();
    /// @notice The submission is proven with `given`, the feed is served by `expected`.
    error SignalOracleWrongModel(bytes32 expected, bytes32 given);
    /// @notice The submission does not carry `nInputs + NUM_OUTPUTS` instances.
    error SignalOracleInstanceCountMismatch(uint256 expected, uint256 actual);
    /// @notice The proof is too short to hold the model's input commitment.
    error SignalOracleProofTooShort(uint256 minimum, uint256 actual);
    /// @notice `decisionMinute` is not a whole minute (a multiple of 60 seconds).
    error SignalOracleUnalignedMinute(uint64 decisionMinute);
    /// @notice The candle of `decisionMinute` has not closed yet (`decisionMinute + 60 > block.timestamp`).
    error SignalOracleMinuteInFuture(uint64 decisionMinute, uint256 blockTimestamp);
    /// @notice The submission came `delay` seconds after the decision candle closed, more than `maxDelay`.
    error SignalOracleStaleMinute(uint64 decisionMinute, uint256 delay, uint32 maxDelay);
    /// @notice Rounds of a feed strictly increase by `decisionMinute` (this also rejects replays).
    error SignalOracleRoundNotAfterLatest(uint64 decisionMinute, uint64 latestDecisionMinute);
    /// @notice The verifier rejected the proof (it reverted or returned false).
    error SignalOracleProofRejected(address verifier);
    /// @notice The feed has no round `roundId` (ids start at 1; 0 means "no round").
    error SignalOracleUnknownRound(bytes32 feedId, uint256 roundId);
    /// @notice The feed has published no round yet: there is no signal to read.
    error SignalOracleNoRound(bytes32 feedId);
    /// @notice The feed's latest round `roundId` stopped being current at `validUntil` (its close plus the
    /// feed's heartbeat and submission window): no round came since, and its signal is no longer vouched for.
    error SignalOracleNotCurrent(bytes32 feedId, uint256 roundId, uint256 validUntil);
    /// @notice A heartbeat must be a whole number of minutes from 60 seconds to {MAX_HEARTBEAT}.
    error SignalOracleInvalidHeartbeat(uint32 heartbeat);
    /// @notice The verifier's code hash is `current`, not the `registered` one: its code changed after
    /// registration (a re-delegated account, a redeployed address). The round is refused.
    error SignalOracleVerifierCodeChanged(address verifier, bytes32 registered, bytes32 current);
    /// @notice A committee of `size` members: it needs at least one and at most `maxSize` ({MAX_COMMITTEE_SIZE}).
    error SignalOracleInvalidCommitteeSize(uint256 size, uint256 maxSize);
    /// @notice A threshold of `threshold` signatures for a committee of `size`: it must be 1 to `size`.
    error SignalOracleInvalidThreshold(uint256 threshold, uint256 size);
    /// @notice Committee member `index` is the zero address or repeats an earlier member.
    error SignalOracleInvalidCommitteeMember(uint256 index, address member);
    /// @notice The feed has no committee yet ({setCommittee}): it accepts no submission.
    error SignalOracleNoCommittee(bytes32 feedId);
    /// @notice The submission's `committee` is not the feed's current committee, member for member and in order.
    error SignalOracleWrongCommittee(bytes32 feedId, uint32 version);
    /// @notice The signatures are not a whole number of 65-byte signatures (`r ‖ s ‖ v`).
    error SignalOracleInvalidSignaturesLength(uint256 length);
    /// @notice `count` signatures for a committee that needs `threshold`.
    error SignalOracleTooFewSignatures(uint256 threshold, uint256 count);
    /// @notice Signature `index` is malformed: `s` in the upper half order (a malleated signature), `v` not 27 or
    /// 28, or no address recovers from it.
    error SignalOracleInvalidSignature(uint256 index);
    /// @notice Signature `index` recovers `signer`, who is not a member of the feed's current committee. This is
    /// also how a signature over any other report fails (another feed, model, minute, input binding, committee
    /// version, chain or oracle): it recovers an unrelated address.
    error SignalOracleSignerNotMember(uint256 index, address signer);
    /// @notice Signature `index` is by `signer`, who already signed this round (each member counts once).
    error SignalOracleDuplicateSigner(uint256 index, address signer);

    /// @notice Number of model outputs at the end of the instances: one logit per class.
    function NUM_OUTPUTS() external view returns (uint256);

    /// @notice Role of the operators allowed to {submit}: the transmitters.
    function SUBMITTER_ROLE() external view returns (bytes32);

    /// @notice Most members a committee can have (a round's signers are a bitmap of this many bits).
    function MAX_COMMITTEE_SIZE() external view returns (uint256);

    /// @notice The longest heartbeat a feed can have, seconds.
    function MAX_HEARTBEAT() external view returns (uint32);

    /// @notice EIP-712 type hash of `Report(bytes32 feedId,bytes32 modelId,uint64 decisionMinute,
    /// bytes32 inputBinding,uint32 committeeVersion)`.
    function REPORT_TYPEHASH() external view returns (bytes32);

    /// @notice Registers model `modelId`. Admin only. Versions are immutable: a new version is a new id. Records
    /// the verifier's code hash ({verifierCodeHash}); rounds are refused once that code changes.
    function registerModel(bytes32 modelId, Model calldata model) external;

    /// @notice Creates feed `feedId` served by `modelId`. Admin only.
    /// @param description Human-readable market, e.g. "BTCUSDT 1m, 60-minute horizon".
    /// @param maxDelay Latest acceptable submission, in seconds after the decision candle closed.
    function createFeed(bytes32 feedId, string calldata description, bytes32 modelId, uint32 maxDelay) external;

    /// @notice Moves feed `feedId` to model `modelId` (the upgrade path). Admin only.
    function setFeedModel(bytes32 feedId, bytes32 modelId) external;

    /// @notice Changes the submission window of feed `feedId`. Admin only.
    function setFeedMaxDelay(bytes32 feedId, uint32 maxDelay) external;

    /// @notice Sets how long a round of feed `feedId` stays current without a later one (see {Feed}). Admin
    /// only. Applies at once to the latest round too: readers compute currency with the heartbeat in force.
    function setFeedHeartbeat(bytes32 feedId, uint32 heartbeat) external;

    /// @notice Sets the committee of feed `feedId`: its members and the number of them that must sign each
    /// round. Admin only. Starts a new committee version: signatures made under the previous one no longer count.
    /// @param members Distinct non-zero addresses, at most {MAX_COMMITTEE_SIZE}; member `i` is bit `i` of a
    /// round's signers.
    /// @param threshold Signatures needed per round, 1 to `members.length`. Choose it above `n / 2` (e.g.
    /// `2f + 1` of `3f + 1`), so that two different reports for the same minute cannot both be signed.
    function setCommittee(bytes32 feedId, address[] calldata members, uint8 threshold) external;

    /// @notice Verifies a proof and publishes its signal as the feed's next round. Submitters only.
    /// @param feedId The feed.
    /// @param modelId The model the proof is for; must be the feed's current model.
    /// @param decisionMinute Open time (unix seconds, a multiple of 60) of the input window's last candle:
    /// later than the feed's latest round, its candle closed (`decisionMinute + 60 <= block.timestamp`) no
    /// more than the feed's `maxDelay` seconds ago.
    /// @param proof The EZKL proof bytes.
    /// @param instances The model's input instances followed by its output logits.
    /// @param committee The members of the feed's current committee, in order ({getCommittee}): the oracle keeps
    /// only their hash, so a submission names them (anything else reverts with {SignalOracleWrongCommittee}).
    /// @param signatures At least `threshold` signatures by distinct members of the feed's current committee of
    /// the report ({reportDigest}) of `feedId`, `modelId`, `decisionMinute`, the input binding of `proof` and
    /// `instances`, and the current committee version. Packed: `65 * count` bytes, each signature `r ‖ s ‖ v`
    /// (`v` 27 or 28, low `s`), in any order. Every signature must be a valid one by a distinct member.
    /// @return roundId The id of the new round in this feed (ids start at 1).
    function submit(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes calldata proof,
        uint256[] calldata instances,
        address[] calldata committee,
        bytes calldata signatures
    ) external returns (uint256 roundId);

    /// @notice The model `modelId`. Reverts with {SignalOracleUnknownModel} if it is not registered.
    function getModel(bytes32 modelId) external view returns (Model memory);

    /// @notice The code hash of model `modelId`'s verifier, recorded at registration. Reverts with
    /// {SignalOracleUnknownModel} if it is not registered.
    function verifierCodeHash(bytes32 modelId) external view returns (bytes32);

    /// @notice The feed `feedId`. Reverts with {SignalOracleUnknownFeed} if it does not exist.
    function getFeed(bytes32 feedId) external view returns (Feed memory);

    /// @notice Id of the feed's latest round, 0 when none was published.
    function latestRoundId(bytes32 feedId) external view returns (uint256);

    /// @notice The feed's latest signal and the model that produced it: the consumers' read path (see above).
    /// Reverts with {SignalOracleUnknownFeed} for an unknown feed and {SignalOracleNoRound} before its first round.
    /// @return signal The latest round's signal.
    /// @return decisionMinute Open time of its input window's last candle; it is valid from `decisionMinute + 60`.
    /// @return roundId Its id (at least 1).
    /// @return modelId The model it was proven with.
    function latestSignal(bytes32 feedId)
        external
        view
        returns (Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId);

    /// @notice The feed's current signal: its latest round while that is current, i.e. from its close
    /// (`decisionMinute + 60`) until `validUntil = decisionMinute + 60 + heartbeat + maxDelay`, the deadline of
    /// the round due `heartbeat` after it (the feed's heartbeat and submission window in force). Reverts with {SignalOracleUnknownFeed}, {SignalOracleNoRound} before the first round, and
    /// {SignalOracleNotCurrent} once `block.timestamp >= validUntil`. The one notion of "current" of the oracle,
    /// the Chainlink adapter and the demo vault.
    function currentSignal(bytes32 feedId)
        external
        view
        returns (Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId, uint256 validUntil);

    /// @notice The round `roundId` of feed `feedId`. Reverts with {SignalOracleUnknownRound} if it does not exist.
    function getRound(bytes32 feedId, uint256 roundId) external view returns (Round memory);

    /// @notice Who signed round `roundId` of feed `feedId`: the committee version it was signed under, the
    /// signers' bitmap (bit `i` for member `i` of that version) and their addresses in index order. Reverts with
    /// {SignalOracleUnknownRound} if the round does not exist.
    function getRoundSigners(bytes32 feedId, uint256 roundId)
        external
        view
        returns (uint32 committeeVersion, uint256 signers, address[] memory signerAddresses);

    /// @notice The current committee of feed `feedId`: members in index order, threshold and version (all
    /// empty or zero before the first {setCommittee}). Reverts with {SignalOracleUnknownFeed} for an unknown feed.
    function getCommittee(bytes32 feedId)
        external
        view
        returns (address[] memory members, uint8 threshold, uint32 version);

    /// @notice The EIP-712 digest a committee member signs for this report under this oracle's domain
    /// ({eip712Domain}): `keccak256("\x19\x01" ‖ domainSeparator ‖ keccak256(abi.encode(REPORT_TYPEHASH,
    /// feedId, modelId, decisionMinute, inputBinding, committeeVersion)))`.
    function reportDigest(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes32 inputBinding,
        uint32 committeeVersion
    ) external view returns (bytes32);
}

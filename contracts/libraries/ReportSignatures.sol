// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ISignalOracle} from "../interfaces/ISignalOracle.sol";

/// @title ReportSignatures
/// @notice The committee's EIP-712 report and the check of its signatures, shared by the oracle and its gas floor.
/// @dev A report is `Report(bytes32 feedId,bytes32 modelId,uint64 decisionMinute,bytes32 inputBinding,
/// uint32 committeeVersion)`. Signatures come packed in one `bytes`: `65 * count` bytes, each `r ‖ s ‖ v`
/// (`v` 27 or 28, `s` in the lower half order, as OpenZeppelin's {ECDSA} requires), in any order. A member's
/// bit is `1 << index` of its place in the committee, so distinct signers are a bitmap check.
/// The committee's members come in calldata with the submission and are checked against the hash the oracle
/// keeps ({submissionKey}), in the feed slot every submission reads anyway: a signature then costs its
/// `ecrecover` and a scan of at most 16 calldata words, not a cold storage read per member (2,100 gas each).
library ReportSignatures {
    /// @notice EIP-712 type hash of the report the committee signs.
    bytes32 internal constant REPORT_TYPEHASH = keccak256(
        "Report(bytes32 feedId,bytes32 modelId,uint64 decisionMinute,bytes32 inputBinding,uint32 committeeVersion)"
    );

    /// @notice Length of one signature: `r ‖ s ‖ v`.
    uint256 internal constant SIGNATURE_LENGTH = 65;

    /// @notice The input binding a proof carries, which the committee signs: keccak256 of the `nInputs` input
    /// instances and the proof's commitment bytes `proof[commitmentOffset:][:commitmentLength]`.
    function bindingOf(
        bytes calldata proof,
        uint256[] calldata instances,
        uint256 nInputs,
        uint256 commitmentOffset,
        uint256 commitmentLength
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(instances[:nInputs], proof[commitmentOffset:commitmentOffset + commitmentLength])
        );
    }

    /// @notice The EIP-712 struct hash of a report (to be hashed with the verifying contract's domain).
    function structHash(
        bytes32 feedId,
        bytes32 modelId,
        uint64 decisionMinute,
        bytes32 inputBinding,
        uint32 committeeVersion
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(REPORT_TYPEHASH, feedId, modelId, decisionMinute, inputBinding, committeeVersion));
    }

    /// @notice What a submission to a feed must name exactly, hashed: the feed's model and its committee's
    /// members in order. The oracle stores it in place of the model id; `members` is empty before a committee.
    function submissionKey(bytes32 modelId, address[] memory members) internal pure returns (bytes32) {
        return keccak256(abi.encode(modelId, members));
    }

    /// @notice The same key from calldata (a submission's own `modelId` and `committee`).
    function submissionKeyCalldata(bytes32 modelId, address[] calldata members) internal pure returns (bytes32) {
        return keccak256(abi.encode(modelId, members));
    }

    /// @notice Checks that `signatures` are at least `threshold` valid signatures of `digest` by distinct
    /// members, and returns the signers' bits. Every signature must count: a malformed one, a non-member's or a
    /// repeated signer's reverts (the index is the signature's place in `signatures`).
    /// @param members The committee, already checked against the feed's {submissionKey}: member `i` is bit `i`.
    function check(bytes32 digest, bytes calldata signatures, uint256 threshold, address[] calldata members)
        internal
        pure
        returns (uint256 signers)
    {
        uint256 length = signatures.length;
        if (length % SIGNATURE_LENGTH != 0) revert ISignalOracle.SignalOracleInvalidSignaturesLength(length);
        uint256 count = length / SIGNATURE_LENGTH;
        if (count < threshold) revert ISignalOracle.SignalOracleTooFewSignatures(threshold, count);
        uint256 size = members.length;
        // Bounds are checked above (`count` whole signatures) and below (`index < size`): the loop is unchecked.
        unchecked {
            for (uint256 i = 0; i < count; ++i) {
                address signer = signerAt(digest, signatures, i);
                // A signature over any other report (another feed, model, minute, binding, committee version,
                // chain or oracle) recovers an unrelated address: it fails here, as a non-member's.
                uint256 index = 0;
                while (index < size && members[index] != signer) {
                    ++index;
                }
                if (index == size) revert ISignalOracle.SignalOracleSignerNotMember(i, signer);
                // forge-lint: disable-next-line(incorrect-shift)
                uint256 bit = 1 << index;
                if (signers & bit != 0) revert ISignalOracle.SignalOracleDuplicateSigner(i, signer);
                signers |= bit;
            }
        }
    }

    /// @notice The signer of signature `i` of `signatures` (its bytes `65 * i` to `65 * i + 65`, in range: checked
    /// by the caller) over `digest`; reverts with {ISignalOracle-SignalOracleInvalidSignature} if it is malformed.
    /// Read as {ECDSA-tryRecoverCalldata} reads one signature, and checked by {ECDSA-tryRecover}.
    function signerAt(bytes32 digest, bytes calldata signatures, uint256 i) internal pure returns (address signer) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            let at := add(signatures.offset, mul(i, 65))
            r := calldataload(at)
            s := calldataload(add(at, 0x20))
            v := byte(0, calldataload(add(at, 0x40)))
        }
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, v, r, s);
        if (err != ECDSA.RecoverError.NoError) revert ISignalOracle.SignalOracleInvalidSignature(i);
    }
}

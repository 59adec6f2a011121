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

    /// @notice Checks that `signatures` are at least `threshold` valid signatures of `digest` by distinct
    /// members, and returns the signers' bits. Every signature must count: a malformed one, a non-member's or a
    /// repeated signer's reverts (the index is the signature's place in `signatures`).
    /// @param memberBit The committee's members: `1 << index` for a member, 0 for anyone else.
    function check(
        bytes32 digest,
        bytes calldata signatures,
        uint256 threshold,
        mapping(address => uint256) storage memberBit
    ) internal view returns (uint256 signers) {
        uint256 length = signatures.length;
        if (length % SIGNATURE_LENGTH != 0) revert ISignalOracle.SignalOracleInvalidSignaturesLength(length);
        uint256 count = length / SIGNATURE_LENGTH;
        if (count < threshold) revert ISignalOracle.SignalOracleTooFewSignatures(threshold, count);
        for (uint256 i = 0; i < count; ++i) {
            uint256 start = i * SIGNATURE_LENGTH;
            (address signer, ECDSA.RecoverError err,) =
                ECDSA.tryRecoverCalldata(digest, signatures[start:start + SIGNATURE_LENGTH]);
            if (err != ECDSA.RecoverError.NoError) revert ISignalOracle.SignalOracleInvalidSignature(i);
            // A signature over any other report (another feed, model, minute, binding, committee version, chain
            // or oracle) recovers an unrelated address: it fails here, as a non-member's.
            uint256 bit = memberBit[signer];
            if (bit == 0) revert ISignalOracle.SignalOracleSignerNotMember(i, signer);
            if (signers & bit != 0) revert ISignalOracle.SignalOracleDuplicateSigner(i, signer);
            signers |= bit;
        }
    }
}

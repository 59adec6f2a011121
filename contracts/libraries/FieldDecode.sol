// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title FieldDecode
/// @notice Decodes EZKL public instances (BN254 scalar field elements) into signed fixed-point integers.
/// @dev EZKL quantizes a value `x` to the integer `round(x * 2^scale)` and embeds it in the field as
/// `x mod P`: non-negative values stay as they are, negative values wrap to `P - |x|`. Decoding takes the
/// representative nearest to zero: `v <= (P - 1) / 2` is `+v`, anything above is `-(P - v)`. Both halves are
/// then bounded by {MAX_MAGNITUDE}, far above any honest model output and far below the wrap-around point,
/// so an out-of-range value signals a bug or a malicious instance rather than a large logit.
library FieldDecode {
    /// @notice The BN254 scalar field modulus `r` (Halo2's `Fr`, EZKL's instance field).
    uint256 internal constant P =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;

    /// @notice The largest field element that decodes to a non-negative value: `(P - 1) / 2`.
    uint256 internal constant HALF = (P - 1) / 2;

    /// @notice The largest accepted magnitude of a decoded value: `2^31 - 1`, so that every decoded value
    /// fits an `int32` (at output scale 2^13 that is a logit of about 262,000, far above any honest model).
    uint256 internal constant MAX_MAGNITUDE = (1 << 31) - 1;

    /// @notice `value` is not a canonical field element (`value >= P`).
    error FieldDecodeNotInField(uint256 value);

    /// @notice `value` decodes to a magnitude above {MAX_MAGNITUDE}.
    error FieldDecodeOutOfRange(uint256 value);

    /// @notice Decodes the field element `value` into a signed integer.
    /// @dev Reverts with {FieldDecodeNotInField} if `value >= P` and with {FieldDecodeOutOfRange} if the
    /// result would be outside `[-MAX_MAGNITUDE, MAX_MAGNITUDE]`.
    function toInt(uint256 value) internal pure returns (int256) {
        if (value >= P) revert FieldDecodeNotInField(value);
        if (value <= HALF) {
            if (value > MAX_MAGNITUDE) revert FieldDecodeOutOfRange(value);
            // Safe: value <= MAX_MAGNITUDE < 2^255.
            // forge-lint: disable-next-line(unsafe-typecast)
            return int256(value);
        }
        uint256 magnitude;
        unchecked {
            // Safe: HALF < value < P.
            magnitude = P - value;
        }
        if (magnitude > MAX_MAGNITUDE) revert FieldDecodeOutOfRange(value);
        // Safe: magnitude <= MAX_MAGNITUDE < 2^255.
        // forge-lint: disable-next-line(unsafe-typecast)
        return -int256(magnitude);
    }
}

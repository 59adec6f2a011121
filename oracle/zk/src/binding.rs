//! A round's input binding: what the oracle hashes of a proof's instances and commitment to tie
//! a round to its input window, computed the same way off chain.

use alloy_primitives::{B256, U256};

/// How the oracle reads a circuit's instances and proof (from the circuit manifest's `binding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Binding {
    pub n_inputs: u16,
    pub commitment_offset: u16,
    pub commitment_length: u16,
}

/// Parses an instance given as decimal or 0x-hex into a field element word.
pub fn parse_word(s: &str) -> anyhow::Result<U256> {
    let s = s.trim();
    let v = if let Some(h) = s.strip_prefix("0x") { U256::from_str_radix(h, 16) } else { U256::from_str_radix(s, 10) };
    v.map_err(|e| anyhow::anyhow!("instance {s:?} is not a number: {e}"))
}

/// A round's input binding as the oracle computes it: keccak256 of the input instances as 32-byte
/// big-endian words, then the commitment bytes of the proof.
pub fn input_binding(inputs: &[U256], commitment: &[u8]) -> B256 {
    let mut buf = Vec::with_capacity(inputs.len() * 32 + commitment.len());
    for w in inputs {
        buf.extend_from_slice(&w.to_be_bytes::<32>());
    }
    buf.extend_from_slice(commitment);
    alloy_primitives::keccak256(buf)
}


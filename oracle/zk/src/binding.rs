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

impl Binding {
    /// The input binding the oracle computes from `proof` and `instances` (the input instances and
    /// the proof's commitment bytes); an error when they cannot hold what the manifest says.
    pub fn of_proof(&self, proof: &[u8], instances: &[U256]) -> anyhow::Result<B256> {
        let n = self.n_inputs as usize;
        anyhow::ensure!(instances.len() >= n, "{} instances, the circuit manifest says {n} inputs", instances.len());
        let (off, len) = (self.commitment_offset as usize, self.commitment_length as usize);
        anyhow::ensure!(proof.len() >= off + len, "the proof ({} bytes) cannot hold the input commitment", proof.len());
        Ok(input_binding(&instances[..n], &proof[off..off + len]))
    }
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


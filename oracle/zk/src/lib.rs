//! `veriregime-zk`: the zero-knowledge half, through EZKL. The Python driver supervised from Rust
//! ([`prover`]: timeouts, kill, clear errors), the model and its circuit checked against each other
//! and proving one inference ([`signaler`]), circuit builds, proof fixtures, key regeneration and
//! fidelity ([`circuit`]), and the input binding a proof carries ([`binding`]).
//!
//! Depends on `veriregime-core` only; knows nothing of chains or nodes.

pub mod binding;
pub mod circuit;
pub mod prover;
pub mod signaler;

pub use binding::{input_binding, Binding};
pub use prover::Ezkl;
pub use signaler::{Inference, Proven, Signaler};

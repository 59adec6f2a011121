//! VeriRegime: verifiable BTC/USDT trading signals.
//!
//! One-way dependencies: `data` (archives, candles) <- `features` (indicators, windows, labels)
//! <- `model` (student: training, ONNX, tract inference, card) <- `prover` (EZKL) <- `chain` (alloy)
//! <- `cmd` (the `veriregime` subcommands).

pub mod data;
pub mod http;
pub mod exchange;
pub mod features;
pub mod model;
pub mod prover;
pub mod chain;
pub mod round;
pub mod daemon;
pub mod bench;
pub mod cmd;

/// mimalloc keeps freed pages for reuse: training allocates and frees megabyte tensors every
/// batch, and glibc's malloc returned them to the kernel each time (a quarter of a teacher step
/// went to page faults and zeroing; 310 -> 236 ms per batch with that fixed).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

//! `veriregime-lab`: the research side, which node operators never build. Training the teacher CNN
//! and the student MLPs with candle, ONNX export, the study and its report, quantisation, the
//! accuracy/macro-F1 frontier, plots ([`model`]), the circuit benchmarks ([`bench`]), and the
//! backtest of a consumer policy on real candles ([`backtest`]).
//!
//! Reads and writes model folders in `veriregime-core`'s card format; builds circuits through
//! `veriregime-zk` and measures verifier gas through `veriregime-chain`.

pub mod backtest;
pub mod bench;
pub mod model;
pub mod recipes;

/// mimalloc keeps freed pages for reuse: training allocates and frees megabyte tensors every
/// batch, and glibc's malloc returned them to the kernel each time (a quarter of a teacher step
/// went to page faults and zeroing; 310 -> 236 ms per batch with that fixed).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

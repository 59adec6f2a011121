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
pub mod cmd;

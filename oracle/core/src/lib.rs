//! `veriregime-core`: what every part of VeriRegime shares and nothing in it trains, proves or
//! sends: candles and Binance Vision archives ([`data`]), the one feature implementation
//! ([`features`]: indicators, windows, labels, normaliser), model cards and tract inference with the
//! decision rule ([`model`]), the consumer's trading rule ([`policy`]: what a vault following a feed
//! does with each round), when a round is transmitted ([`publish`]: on change or heartbeat), day ranges ([`range`]), atomic file writes ([`fs`]) and progress display
//! ([`progress`]), and keeping secrets out of messages ([`redact`]).
//!
//! The workspace's crates depend one way, in the data's direction:
//! `core` <- `zk` (EZKL: circuits, proofs, bindings) <- `chain` (alloy: contracts, deployment, gas)
//! <- `node` (exchange, rounds, daemon, audit, demo) and `lab` (training, study, benchmarks)
//! <- the `veriregime` binary.

pub mod data;
pub mod features;
pub mod fs;
pub mod http;
pub mod model;
pub mod policy;
pub mod progress;
pub mod publish;
pub mod range;
pub mod redact;

pub use fs::{replace_file, write_atomic};

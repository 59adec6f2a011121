//! `veriregime-node`: what a node operator runs. The exchange client (and its loopback fake, in
//! Binance's formats) ([`exchange`]), the daemon that proves and submits a round per decision
//! minute and records every round ([`daemon`]), one round from an archive ([`round`]), the audit of
//! a published round from public candles ([`audit`]) and the end-to-end demo ([`demo`]).
//!
//! Built from `veriregime-core`, `veriregime-zk` and `veriregime-chain` only: no training code,
//! no plotting (`cargo tree -p veriregime-node` shows neither candle nor plotters).

pub mod audit;
pub mod committee;
pub mod daemon;
pub mod demo;
pub mod exchange;
pub mod network;
pub mod round;
pub mod sanity;

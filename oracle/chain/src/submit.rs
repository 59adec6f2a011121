//! Submitting a proven round: a preflight `eth_call` (a revert is decoded, nothing is sent), the
//! transaction, its receipt.

use crate::committee::Quorum;
use crate::{Client, Deployment, ISignalOracle};
use alloy::primitives::{Address, B256};
use anyhow::Context;
use serde::Serialize;
use veriregime_zk::Proven;

/// A confirmed submission.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub tx: B256,
    pub gas: u64,
    pub block: u64,
    pub round_id: u64,
    pub calldata_bytes: usize,
}

/// Where a round goes: the oracle, its feed and the model the proof is for.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub oracle: Address,
    pub feed_id: B256,
    pub model_id: B256,
}

impl Target {
    pub fn of(dep: &Deployment, model_id: B256) -> Self {
        Target { oracle: dep.oracle, feed_id: dep.feed_id, model_id }
    }
}

/// Submits a proven signal with its committee's members and signatures ([`Quorum`]) to the oracle: a preflight `eth_call` first (a revert is decoded into
/// the contract's error and nothing is sent), then the transaction, then its receipt.
pub async fn submit(client: &Client, target: Target, decision_minute_ms: i64, proven: &Proven, quorum: &Quorum) -> anyhow::Result<Submitted> {
    let c = ISignalOracle::new(target.oracle, &client.provider);
    let minute = u64::try_from(decision_minute_ms / 1000).context("negative decision minute")?;
    let call = c.submit(target.feed_id, target.model_id, minute, proven.proof.clone(), proven.instances.clone(), quorum.members.clone(), quorum.signatures.clone()).from(client.from);
    let round_id = call.call().await.map_err(|e| anyhow::anyhow!("preflight of submit reverted: {}", crate::describe_revert(&e)))?;
    let calldata_bytes = call.calldata().len();
    let pending = call.send().await.map_err(|e| anyhow::anyhow!("submit: {}", crate::describe_revert(&e)))?;
    let receipt = pending.get_receipt().await.context("waiting for the submit receipt")?;
    anyhow::ensure!(receipt.status(), "submit reverted on chain (tx {})", receipt.transaction_hash);
    Ok(Submitted {
        tx: receipt.transaction_hash,
        gas: receipt.gas_used,
        block: receipt.block_number.unwrap_or_default(),
        round_id: round_id.try_into().unwrap_or(u64::MAX),
        calldata_bytes,
    })
}


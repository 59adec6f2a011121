//! `audit`: a published round checked against public data, with no key: its window recomputed
//! from the archive's candles, the input binding the circuit implies recomputed and compared with
//! the one the oracle stored, and the model rerun.

use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use anyhow::Context;
use std::path::PathBuf;
use veriregime_chain::{describe_revert, Deployment, ISignalOracle};
use veriregime_core::data::{fmt_minute, Archive};
use veriregime_core::features::CLASS_NAMES;
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::signaler::{expected_binding, Signaler};

/// Which round to audit, against which data.
#[derive(Debug, Clone)]
pub struct AuditJob {
    pub rpc: String,
    /// Deployments file naming the oracle and its feed.
    pub deployments: PathBuf,
    pub round: u64,
    /// Archive root holding the candles up to the round's decision minute.
    pub data: PathBuf,
    pub symbol: String,
    pub model: PathBuf,
    pub circuit: PathBuf,
}

impl AuditJob {
    /// The audit's findings (`inputs_match` says whether the chain's input binding is the public
    /// candles' window); an error when the round, the model or the candles cannot be had.
    pub async fn run(&self) -> anyhow::Result<serde_json::Value> {
        let url = self.rpc.parse().with_context(|| format!("RPC URL {:?} is not a URL", self.rpc))?;
        let provider = ProviderBuilder::new().connect_http(url);
        provider.get_chain_id().await.with_context(|| format!("no EVM node answers at {}", self.rpc))?;
        let dep = Deployment::load(&self.deployments)?;
        let oracle = ISignalOracle::new(dep.oracle, &provider);
        let round = oracle
            .getRound(dep.feed_id, U256::from(self.round))
            .call()
            .await
            .map_err(|e| anyhow::anyhow!("getRound({}): {}", self.round, describe_revert(&e)))?;
        let signaler = Signaler::load(&self.model, &self.circuit, Ezkl::new(&project_root()))?;
        anyhow::ensure!(
            round.modelId == signaler.model_id,
            "round {} was proven with model {}, {} is {}",
            self.round,
            round.modelId,
            self.model.display(),
            signaler.model_id
        );

        let minute_ms = round.decisionMinute as i64 * 1000;
        let series = Archive::new(&self.data, &self.symbol).load(minute_ms - 86_400_000, minute_ms + 60_000)?;
        anyhow::ensure!(
            series.candles.last().map(|c| c.open_time) == Some(minute_ms),
            "the archive has no candle for the decision minute {} UTC",
            fmt_minute(minute_ms)
        );
        let inf = signaler.infer(&series.candles)?;
        let work = tempfile::tempdir()?;
        let recomputed = expected_binding(&signaler, &inf.input, work.path()).await?;
        let matches = recomputed == round.inputBinding;
        let onchain_signal = round.signal as u8;
        let signed = self.signatures(&provider, &dep, &round, recomputed).await?;
        Ok(serde_json::json!({
            "round": self.round, "decision_minute": fmt_minute(minute_ms), "submitter": round.submitter,
                "binding": signaler.manifest.input_visibility, "input_binding_onchain": round.inputBinding, "input_binding_recomputed": recomputed, "inputs_match": matches,
                "signal_onchain": CLASS_NAMES[onchain_signal as usize], "signal_recomputed": CLASS_NAMES[inf.signal as usize],
                "logits_onchain": round.logits.iter().map(|l| l.to_string()).collect::<Vec<_>>(), "logits_recomputed": inf.logits,
            "transmitter": round.submitter, "committee_version": signed.version, "signers": signed.accepted,
            "signers_of_recomputed_binding": signed.recovered, "signatures_match": signed.recovered == signed.accepted,
        }))
    }

    /// The round's committee signatures, read from its `submit` transaction and recovered over the
    /// report with the binding recomputed from public candles: who the chain says signed, and who
    /// signed the window the candles give (the same members when the audit agrees).
    async fn signatures<P: Provider>(&self, provider: &P, dep: &Deployment, round: &ISignalOracle::Round, binding: alloy::primitives::B256) -> anyhow::Result<Signed> {
        use alloy::rpc::types::Filter;
        use alloy::sol_types::{SolCall, SolEvent};
        let oracle = ISignalOracle::new(dep.oracle, provider);
        let on_chain = oracle
            .getRoundSigners(dep.feed_id, U256::from(self.round))
            .call()
            .await
            .map_err(|e| anyhow::anyhow!("getRoundSigners({}): {}", self.round, describe_revert(&e)))?;
        let filter = Filter::new()
            .address(dep.oracle)
            .event_signature(ISignalOracle::SignalSubmitted::SIGNATURE_HASH)
            .topic1(dep.feed_id)
            .topic2(alloy::primitives::B256::from(U256::from(self.round)))
            .from_block(0);
        let logs = provider.get_logs(&filter).await.context("reading the round's SignalSubmitted event")?;
        let tx = logs.first().and_then(|l| l.transaction_hash).with_context(|| format!("no SignalSubmitted event of round {}", self.round))?;
        let t = provider.get_transaction_by_hash(tx).await?.with_context(|| format!("transaction {tx} of round {}", self.round))?;
        let input = alloy::consensus::Transaction::input(t.inner.inner());
        let call = ISignalOracle::submitCall::abi_decode(input).with_context(|| format!("transaction {tx} is not a submit"))?;
        let report = veriregime_chain::Report {
            feedId: dep.feed_id,
            modelId: round.modelId,
            decisionMinute: round.decisionMinute,
            inputBinding: binding,
            committeeVersion: on_chain.committeeVersion,
        };
        let domain = veriregime_chain::committee::oracle_domain(provider, dep.oracle).await?;
        let mut recovered = veriregime_chain::committee::unpack(&call.signatures, &report, &domain)?;
        let mut accepted = on_chain.signerAddresses;
        recovered.sort();
        accepted.sort();
        Ok(Signed { version: on_chain.committeeVersion, accepted, recovered })
    }
}

/// A round's signers: accepted by the chain, and recovered over the public candles' report.
struct Signed {
    version: u32,
    accepted: Vec<alloy::primitives::Address>,
    recovered: Vec<alloy::primitives::Address>,
}

//! `oracle check`: what a daemon needs before its first round, checked one by one without
//! starting it. Each check says what it found, or what is wrong and how to mend it; a check that
//! depends on a failed one is reported as not run.

use super::config::{load_signer, Config};
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use std::path::Path;
use std::time::Duration;
use veriregime_chain::{describe_revert, Committee, Deployment, ISignalOracle};
use veriregime_zk::prover::Ezkl;
use veriregime_zk::Signaler;

/// One check's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub what: String,
    pub ok: bool,
    /// What was found, or what is wrong and the fix.
    pub detail: String,
}

/// All checks, in the order the daemon meets them at start.
pub async fn run(cfg: &Config) -> Vec<Check> {
    let mut out = Vec::new();
    let mut note = |what: &str, r: Result<String, String>| {
        let ok = r.is_ok();
        out.push(Check { what: what.into(), ok, detail: r.unwrap_or_else(|e| e) });
        ok
    };
    note("config paths", cfg.check_paths().map(|()| format!("every file and folder exists (relative to {})", cfg.base.display())));
    let signer = load_signer(&cfg.chain).map_err(|e| format!("{e:#}"));
    let from = signer.as_ref().ok().map(|s| s.address());
    note("operator key", signer.as_ref().map(|s| format!("address {}", s.address())).map_err(|e| e.clone()));
    let signaler = Signaler::load(&cfg.model.dir, &cfg.model.circuit, Ezkl::default()).map_err(|e| format!("{e:#}"));
    note("model and circuit", signaler.as_ref().map(|s| format!("model {} ({})", s.model_id, cfg.model.dir.display())).map_err(|e| e.clone()));
    let dep = Deployment::load(&cfg.chain.deployments).map_err(|e| format!("{e:#}"));
    note("deployments", dep.as_ref().map(|d| format!("oracle {} on chain {}", d.oracle, d.chain_id)).map_err(|e| e.clone()));
    out.extend(chain_checks(cfg, dep.ok(), from, signaler.ok().map(|s| s.model_id)).await);
    out.extend(exchange_checks(cfg).await);
    out
}

fn skipped(what: &str, because: &str) -> Check {
    Check { what: what.into(), ok: false, detail: format!("not checked: {because}") }
}

/// The node's chain is the deployment's (the daemon refuses to start otherwise).
pub fn same_chain(cfg: &Config, dep: &Deployment, chain_id: u64) -> Result<String, String> {
    let rpc = veriregime_core::redact::redact_url(&cfg.chain.rpc_url);
    if chain_id == dep.chain_id {
        return Ok(format!("{rpc} answers, chain {chain_id}"));
    }
    Err(format!(
        "{rpc} is chain {chain_id}, the deployments file {} is for chain {}: point chain.rpc_url or chain.deployments at the same chain",
        cfg.chain.deployments.display(),
        dep.chain_id
    ))
}

/// `from` holds the oracle's SUBMITTER_ROLE (the daemon refuses to start otherwise).
pub async fn may_submit<P: Provider>(provider: &P, dep: &Deployment, from: Address) -> Result<String, String> {
    let oracle = ISignalOracle::new(dep.oracle, provider);
    let role = oracle.SUBMITTER_ROLE().call().await.map_err(|e| format!("{} does not answer as a SignalOracle: {}", dep.oracle, describe_revert(&e)))?;
    match oracle.hasRole(role, from).call().await {
        Ok(true) => Ok(format!("{from} may submit")),
        Ok(false) => Err(format!("{from} may not submit to the oracle {}: its admin (the timelock) must grant it SUBMITTER_ROLE", dep.oracle)),
        Err(e) => Err(describe_revert(&e)),
    }
}

/// The oracle's feed `symbol` uses `model` (when known) and `from` is in its committee (the
/// daemon refuses to start otherwise).
pub async fn serves_feed<P: Provider>(provider: &P, dep: &Deployment, symbol: &str, model: Option<B256>, model_dir: &Path, from: Address) -> Result<String, String> {
    let id = veriregime_chain::feed_id(symbol);
    let feed = ISignalOracle::new(dep.oracle, provider)
        .getFeed(id)
        .call()
        .await
        .map_err(|e| format!("feed {symbol} is not on the oracle {}: {}", dep.oracle, describe_revert(&e)))?;
    if let Some(m) = model.filter(|m| *m != feed.modelId) {
        return Err(format!(
            "the oracle's {symbol} feed uses model {}, model.dir {} is model {m}: point [model] at the feed's model",
            feed.modelId,
            model_dir.display()
        ));
    }
    let c = Committee::read(provider, dep.oracle, id).await.map_err(|e| format!("{e:#}"))?;
    if c.index_of(from).is_none() {
        return Err(format!("{}: the oracle's admin must add it", crate::committee::not_a_member(&c, from)));
    }
    Ok(format!("model {}, committee version {}: {} of {} sign", feed.modelId, c.version, c.threshold, c.members.len()))
}

async fn chain_checks(cfg: &Config, dep: Option<Deployment>, from: Option<Address>, model: Option<B256>) -> Vec<Check> {
    let check = |what: &str, r: Result<String, String>| Check { what: what.into(), ok: r.is_ok(), detail: r.unwrap_or_else(|e| e) };
    let Some(dep) = dep else {
        return vec![skipped("chain", "no deployments file")];
    };
    // No observer: the check marks nothing up or down.
    let provider = match veriregime_chain::rpc::connect_http(&cfg.chain.rpc_url, Duration::from_millis(cfg.chain.rpc_timeout_ms), None) {
        Ok(p) => p,
        Err(e) => return vec![check("chain", Err(format!("chain.rpc_url: {e:#}")))],
    };
    let chain = match provider.get_chain_id().await {
        Ok(id) => same_chain(cfg, &dep, id),
        Err(e) => Err(format!(
            "no EVM node answers at {} (chain.rpc_url): {}",
            veriregime_core::redact::redact_url(&cfg.chain.rpc_url),
            veriregime_core::redact::error_chain(&e)
        )),
    };
    let mut out = vec![check("chain", chain)];
    if !out[0].ok {
        return out;
    }
    let Some(from) = from else {
        out.push(skipped("submitter role and balance", "no operator key"));
        return out;
    };
    out.push(check("submitter role", may_submit(&provider, &dep, from).await));
    out.push(check(
        "balance",
        match provider.get_balance(from).await {
            Ok(b) if !b.is_zero() => Ok(format!("{} ETH", super::wei_to_eth(b))),
            Ok(_) => Err(format!("{from} holds no ether: fund it, every round pays its gas")),
            Err(e) => Err(veriregime_core::redact::error_chain(&e)),
        },
    ));
    for f in &cfg.feeds {
        let what = format!("feed {}", f.symbol.to_uppercase());
        out.push(check(&what, serves_feed(&provider, &dep, &f.symbol, model, &cfg.model.dir, from).await));
    }
    out
}

async fn exchange_checks(cfg: &Config) -> Vec<Check> {
    let url = veriregime_core::redact::redact_url(&cfg.exchange.base_url);
    let once = veriregime_core::http::RetryPolicy { max_attempts: 1, base_backoff: Duration::ZERO, max_wait: Duration::ZERO };
    let exchange = match crate::exchange::Exchange::new(&cfg.exchange.base_url, Duration::from_millis(cfg.exchange.timeout_ms), once) {
        Ok(x) => x,
        Err(e) => return vec![Check { what: "exchange".into(), ok: false, detail: format!("exchange.base_url: {e:#}") }],
    };
    let mut out = Vec::new();
    match exchange.server_time().await {
        Ok(t) => {
            let skew = chrono::Utc::now().timestamp_millis() - t;
            let ok = skew.unsigned_abs() <= cfg.exchange.max_clock_skew_ms;
            let detail = if ok {
                format!("{url} answers; local clock {skew} ms ahead of it")
            } else {
                format!("{url} answers, but its clock is {skew} ms off the local one (exchange.max_clock_skew_ms {}): fix the local clock (NTP)", cfg.exchange.max_clock_skew_ms)
            };
            out.push(Check { what: "exchange".into(), ok, detail });
        }
        Err(e) => {
            out.push(Check { what: "exchange".into(), ok: false, detail: format!("{url} (exchange.base_url): {e}") });
            return out;
        }
    }
    for f in &cfg.feeds {
        let s = f.symbol.to_uppercase();
        out.push(match exchange.ticker_price(&s).await {
            Ok(p) => Check { what: format!("exchange {s}"), ok: true, detail: format!("price {p}") },
            Err(e) => Check { what: format!("exchange {s}"), ok: false, detail: format!("{e}") },
        });
    }
    out
}

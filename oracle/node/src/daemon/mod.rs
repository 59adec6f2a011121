//! `veriregime oracle run`: the oracle node. For each feed, after each decision candle closes (by
//! the exchange's clock): candles from the REST API -> the one feature module -> tract -> EZKL
//! proof, checked against tract -> preflight `eth_call` -> a signed transaction, recorded before it
//! is broadcast -> receipt (a stuck transaction is replaced with higher fees, same nonce).
//!
//! Every round has a row in the round database ([`store`]) that ends `confirmed`, `unchanged` (not
//! transmitted: the feed's heartbeat is above a minute and the chain's round says the same, see
//! [`veriregime_core::publish`]) or `skipped` with its reason: bad or missing candles, an exchange or node that stays down, a prover that keeps
//! failing, a preflight revert, a later minute already due. Minutes that came due while the daemon
//! was down are recorded as skipped when it starts again. A restart (even after `kill -9`) resumes:
//! a signed transaction is looked up (receipt, mempool, the account's nonce, the oracle's rounds)
//! and rebroadcast byte for byte when it is not known, never signed anew for the same round; the
//! contract itself refuses a second round for a minute. SIGTERM/SIGINT let the round in flight
//! finish within `daemon.shutdown_grace_ms`, else abandon it (its prover is killed) with a reason.
//!
//! The exchange's clock is guarded ([`clock`]): a lying answer is refused, never turned into
//! skipped rounds. Every RPC call has a timeout (`chain.rpc_timeout_ms`) and is retried with
//! backoff over seconds; `/health` says when the exchange or the chain is down ([`metrics`]).
//! No URL credential reaches a message or a log ([`veriregime_core::redact`]).

pub mod check;
pub mod clock;
pub mod config;
pub mod metrics;
pub mod status;
pub mod store;

use crate::committee::Tally;
use crate::exchange::{Exchange, ExchangeError};
use crate::network::Network;
use alloy::eips::Encodable2718;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider};
use anyhow::{anyhow, Context};
use config::Config;
use metrics::Metrics;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{RoundRow, Stage, Store};
use tokio::sync::watch;
use veriregime_chain::committee::{read_publishing, read_round, Quorum, RoundRecord, SignedReport};
use veriregime_chain::Committee;
use veriregime_chain::{describe_revert, ISignalOracle};
use veriregime_core::data::{fmt_minute, MINUTE_MS};
use veriregime_zk::prover::Ezkl;
use veriregime_zk::signaler::expected_binding;
use veriregime_zk::signaler::{Inference, OutputMismatch, Signaler};

/// One feed the daemon publishes.
#[derive(Debug, Clone)]
pub struct Feed {
    pub symbol: String,
    pub id: B256,
    pub step_ms: i64,
}

/// The latest decision minute (open time) of a feed whose candle has closed and settled by the
/// exchange's clock `now`: minutes whose index is a multiple of `step_ms / 60 s`.
pub fn latest_due(now: i64, step_ms: i64, settle_ms: i64) -> i64 {
    let last_open = now - settle_ms - MINUTE_MS; // candles opened at or before this have closed
    last_open.div_euclid(step_ms) * step_ms
}

/// The receipt of a round's transaction.
#[derive(Debug, Clone, Copy)]
struct Confirmation {
    hash: B256,
    block: u64,
    gas: u64,
}

/// What became of a round (the daemon's own errors, such as a broken database, are `Err`).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Confirmed {
        round_id: u64,
    },
    Skipped(String),
    /// Computed, not transmitted: the chain's round says the same (the reason names it).
    Unchanged(String),
    /// A transaction is out and has no receipt yet; looked at again on the next tick.
    Pending,
}

pub struct Daemon {
    pub cfg: Config,
    exchange: Exchange,
    signaler: Signaler,
    provider: DynProvider,
    wallet: EthereumWallet,
    /// The operator's key: it signs the committee's reports and the transactions it transmits.
    signer: alloy::signers::local::PrivateKeySigner,
    oracle: Address,
    /// The oracle's EIP-712 domain, in which reports are signed.
    domain: alloy::sol_types::Eip712Domain,
    pub feeds: Vec<Feed>,
    store: Store,
    pub metrics: Arc<Metrics>,
    /// The committee's report exchange with the other members.
    network: Arc<Network>,
    /// Per feed, the oracle's round id up to which this node has recorded what the chain holds.
    caught_up: std::sync::Mutex<std::collections::BTreeMap<B256, u64>>,
    /// The exchange's clock, guarded against lies.
    clock: clock::ClockGuard,
}


impl Daemon {
    /// Loads the model and circuit, opens the database, connects to the node and checks the
    /// deployment: the chain id, every feed on the oracle using this daemon's model, the operator
    /// allowed to submit.
    pub async fn new(cfg: Config) -> anyhow::Result<Daemon> {
        cfg.check_paths().map_err(|e| anyhow!("config: {e}"))?;
        let signer = config::load_signer(&cfg.chain)?;
        let from = signer.address();
        let wallet = EthereumWallet::from(signer.clone());
        let signaler = Signaler::load(&cfg.model.dir, &cfg.model.circuit, Ezkl::default())?;
        let dep = veriregime_chain::Deployment::load(&cfg.chain.deployments)?;
        let stuck = (cfg.model.prove_timeout_ms * cfg.model.prove_attempts as u64
            + cfg.chain.confirm_timeout_ms * (cfg.chain.max_replacements as u64 + 1)
            + 120_000) as i64;
        let metrics = Metrics::new(stuck);
        let rpc_shown = veriregime_core::redact::redact_url(&cfg.chain.rpc_url);
        let provider = rpc_provider(&cfg, metrics.clone())?;
        // A node not up yet (or a network blip at start) is waited for, as later failures are;
        // SIGTERM stops the wait (`oracle run` races this with the shutdown signal).
        let mut attempt = 0;
        let chain_id = loop {
            match provider.get_chain_id().await {
                Ok(id) => break id,
                Err(e) => {
                    attempt += 1;
                    let why = format!("no EVM node answers at {rpc_shown} yet: {}", veriregime_core::redact::error_chain(&e));
                    cfg.rpc_retry_policy().pause(attempt.min(16), None, &why).await;
                }
            }
        };
        check::same_chain(&cfg, &dep, chain_id).map_err(|e| anyhow!(e))?;
        check::may_submit(&provider, &dep, from).await.map_err(|e| anyhow!(e))?;
        let balance = provider.get_balance(from).await.map_err(|e| anyhow!("reading the operator's balance: {}", veriregime_core::redact::error_chain(&e)))?;
        metrics.balance_eth.set(wei_to_eth(balance));
        if balance.is_zero() {
            tracing::warn!(operator = %from, "the operator account holds no ether: every round will be skipped until it is funded");
        }
        let mut feeds = Vec::new();
        for f in &cfg.feeds {
            let id = veriregime_chain::feed_id(&f.symbol);
            check::serves_feed(&provider, &dep, &f.symbol, Some(signaler.model_id), &cfg.model.dir, from).await.map_err(|e| anyhow!(e))?;
            feeds.push(Feed { symbol: f.symbol.to_uppercase(), id, step_ms: f.every_minutes as i64 * MINUTE_MS });
        }
        let m = metrics.clone();
        let exchange = Exchange::new(&cfg.exchange.base_url, Duration::from_millis(cfg.exchange.timeout_ms), cfg.retry_policy())?
            .observed(Arc::new(move |r| m.mark(metrics::Part::Exchange, r)));
        let store = Store::open(&cfg.daemon.db)?;
        let clock = clock::ClockGuard::new(cfg.exchange.max_clock_jump_ms, cfg.exchange.max_clock_skew_ms, metrics.clone());
        std::fs::create_dir_all(&cfg.daemon.work_dir).with_context(|| format!("cannot create {}", cfg.daemon.work_dir.display()))?;
        tracing::info!(operator = %from, oracle = %dep.oracle, chain_id, model = %signaler.model_id, feeds = ?feeds.iter().map(|f| &f.symbol).collect::<Vec<_>>(), "oracle daemon ready");
        let domain = veriregime_chain::report::domain(chain_id, dep.oracle);
        let network = Network::new(
            from,
            cfg.network.peers.clone(),
            Duration::from_millis(cfg.network.peer_timeout_ms),
            provider.clone(),
            dep.oracle,
            domain.clone(),
            feeds.iter().map(|f| (f.id, signaler.model_id)).collect(),
            metrics.clone(),
        )?;
        Ok(Daemon {
            cfg,
            exchange,
            signaler,
            provider,
            wallet,
            signer,
            oracle: dep.oracle,
            domain,
            feeds,
            store,
            metrics,
            network,
            caught_up: Default::default(),
            clock,
        })
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(&mut self, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        if let Some(addr) = self.cfg.daemon.metrics_listen {
            let bound = metrics::serve(self.metrics.clone(), addr).await?;
            tracing::info!(%bound, "metrics on /metrics, health on /health");
        }
        if let Some(addr) = self.cfg.network.listen {
            let bound = self.network.serve(addr).await?;
            tracing::info!(%bound, peers = ?self.cfg.network.peers, "serving signed reports to the committee on /v1/reports");
        }
        let mut skew_warned = false;
        while !*shutdown.borrow() {
            self.metrics.beat();
            let now = match self.clock.read(&self.exchange, &self.feeds[0].symbol).await {
                Ok(t) => t,
                Err(e) => {
                    self.metrics.errors.with_label_values(&["exchange"]).inc();
                    tracing::warn!("exchange clock: {e}");
                    self.sleep(Duration::from_millis(self.cfg.daemon.poll_ms), &mut shutdown).await;
                    continue;
                }
            };
            let skew = chrono::Utc::now().timestamp_millis() - now;
            self.metrics.clock_skew_ms.set(skew);
            let too_far = skew.unsigned_abs() > self.cfg.exchange.max_clock_skew_ms;
            if too_far && !skew_warned {
                tracing::warn!(skew_ms = skew, "the local clock is off the exchange's; rounds follow the exchange's clock");
            }
            skew_warned = too_far;

            let mut next_due_in = i64::MAX;
            for i in 0..self.feeds.len() {
                let feed = self.feeds[i].clone();
                self.reconcile_submitted(&feed).await?;
                let due = latest_due(now, feed.step_ms, self.cfg.exchange.settle_ms as i64);
                let last = self.store.last_minute(&feed.symbol)?;
                // A new minute is due only when the exchange's own candles have closed it too.
                let due = match last {
                    Some(l) if due <= l => due,
                    _ => match clock::confirmed_due(&self.exchange, &feed.symbol, due, feed.step_ms).await {
                        Some(d) => d,
                        None => continue,
                    },
                };
                if let Some(last) = last.filter(|l| due > *l) {
                    let (missed, more) = clock::missed_minutes(last, due, feed.step_ms);
                    if !missed.is_empty() {
                        let reason = format!("not started: the daemon was down or busy when it came due; superseded by {} UTC", fmt_minute(due));
                        let n = self.store.insert_skipped(&feed.symbol, &missed, &reason)?;
                        self.metrics.rounds.with_label_values(&[feed.symbol.as_str(), "skipped"]).inc_by(n as u64);
                        tracing::warn!(feed = %feed.symbol, missed = n, from = %fmt_minute(missed[0]), "minutes skipped: {reason}");
                    }
                    if more {
                        next_due_in = 0; // the rest of the missed minutes first, on the next tick
                        continue;
                    }
                }
                // After the missed minutes have rows: those another member put on chain become
                // confirmed ones.
                self.catch_up(&feed).await?;
                if last.is_none_or(|l| due > l) {
                    self.start_round(&feed, due, now, &mut shutdown).await?;
                }
                let next_close = due + feed.step_ms + MINUTE_MS + self.cfg.exchange.settle_ms as i64;
                next_due_in = next_due_in.min(next_close - now);
            }
            let wait = Duration::from_millis(next_due_in.clamp(10, self.cfg.daemon.poll_ms as i64) as u64);
            self.sleep(wait, &mut shutdown).await;
        }
        tracing::info!("shut down cleanly");
        Ok(())
    }

    async fn sleep(&self, d: Duration, shutdown: &mut watch::Receiver<bool>) {
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = shutdown.changed() => {}
        }
    }

    /// Resumes rounds left unfinished by the previous run (a crash, `kill -9`, a lost node).
    pub async fn recover(&mut self, shutdown: &mut watch::Receiver<bool>) -> anyhow::Result<()> {
        let poll = Duration::from_millis(self.cfg.daemon.poll_ms);
        let Some(now) = self.clock.read_until_taken(&self.exchange, &self.feeds[0].symbol, poll, shutdown).await else {
            return Ok(());
        };
        for feed in self.feeds.clone() {
            let due = latest_due(now, feed.step_ms, self.cfg.exchange.settle_ms as i64);
            for row in self.store.unfinished(&feed.symbol)? {
                tracing::info!(feed = %feed.symbol, minute = %fmt_minute(row.minute), stage = row.stage.as_str(), "resuming a round left unfinished");
                if row.stage == Stage::Submitted {
                    continue; // reconcile_submitted looks at every tick
                }
                if row.minute != due {
                    let reason = format!("interrupted at stage {} by a restart; superseded by {} UTC", row.stage.as_str(), fmt_minute(due));
                    self.skip(&feed, row.minute, &reason)?;
                    continue;
                }
                let fut = self.resume(&feed, row, now);
                let outcome = with_grace(fut, shutdown, Duration::from_millis(self.cfg.daemon.shutdown_grace_ms)).await;
                self.finish(&feed, due, outcome)?;
            }
        }
        Ok(())
    }

    async fn resume(&self, feed: &Feed, row: RoundRow, now: i64) -> anyhow::Result<Outcome> {
        let t = Instant::now();
        match row.stage {
            Stage::Due => self.round(feed, row.minute, now).await,
            Stage::Computed => {
                let input: Vec<f32> = serde_json::from_str(row.input.as_deref().unwrap_or("[]")).context("stored input")?;
                let logits: [f32; 3] = row.logits_as().context("stored logits")?.unwrap_or_default();
                let inf = Inference { decision_minute: row.minute, input, logits, signal: row.signal.unwrap_or(1) };
                self.committee_round(feed, &inf, now, t).await
            }
            Stage::Proved => {
                // This node proved it as the minute's transmitter: gather the signatures again.
                if let Some(o) = self.on_chain(feed, row.minute).await? {
                    return self.confirmed_by(feed, row.minute, o, None);
                }
                let (proof, instances) = row.proven()?;
                let binding = row.binding()?;
                let signatures = match self.signatures(feed, row.minute, binding).await? {
                    Ok(s) => s,
                    Err(why) => return Ok(Outcome::Skipped(why)),
                };
                self.submit(feed, row.minute, proof, instances, signatures, t).await
            }
            Stage::Submitted | Stage::Confirmed | Stage::Skipped | Stage::Unchanged => Ok(Outcome::Pending),
        }
    }

    async fn start_round(&mut self, feed: &Feed, minute: i64, now: i64, shutdown: &mut watch::Receiver<bool>) -> anyhow::Result<()> {
        if !self.store.insert_due(&feed.symbol, minute)? {
            return Ok(());
        }
        // How long after the candle's close (by the exchange's clock) the round started.
        let late = (now - minute - MINUTE_MS) as f64 / 1000.0;
        self.store.add_timings(&feed.symbol, minute, &[("after_close", late)])?;
        tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), after_close_s = late, "round due");
        let outcome = with_grace(self.round(feed, minute, now), shutdown, Duration::from_millis(self.cfg.daemon.shutdown_grace_ms)).await;
        self.finish(feed, minute, outcome)
    }

    /// Records the end of a round (or its abandonment) and logs it.
    fn finish(&self, feed: &Feed, minute: i64, outcome: Option<anyhow::Result<Outcome>>) -> anyhow::Result<()> {
        match outcome {
            None => {
                let stage = self.store.get(&feed.symbol, minute)?.map(|r| r.stage).unwrap_or(Stage::Due);
                if stage == Stage::Submitted {
                    tracing::warn!(feed = %feed.symbol, minute = %fmt_minute(minute), "shutdown with a transaction out: the next start looks it up");
                } else if !stage.is_final() {
                    self.skip(feed, minute, &format!("abandoned at shutdown during stage {}", stage.as_str()))?;
                }
            }
            Some(Err(e)) => {
                // A broken database or the like: record what can be recorded, then stop.
                let _ = self.skip(feed, minute, &format!("daemon error: {e:#}"));
                return Err(e);
            }
            Some(Ok(Outcome::Skipped(reason))) => self.skip(feed, minute, &reason)?,
            Some(Ok(Outcome::Unchanged(reason))) => {
                self.store.set_unchanged(&feed.symbol, minute, &reason)?;
                self.metrics.rounds.with_label_values(&[feed.symbol.as_str(), "unchanged"]).inc();
                self.metrics.last_current_minute.with_label_values(&[feed.symbol.as_str()]).set(minute / 1000);
                tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), "not transmitted: {reason}");
            }
            Some(Ok(Outcome::Confirmed { .. })) | Some(Ok(Outcome::Pending)) => {}
        }
        Ok(())
    }

    fn skip(&self, feed: &Feed, minute: i64, reason: &str) -> anyhow::Result<()> {
        self.store.set_skipped(&feed.symbol, minute, reason)?;
        self.metrics.rounds.with_label_values(&[feed.symbol.as_str(), "skipped"]).inc();
        tracing::warn!(feed = %feed.symbol, minute = %fmt_minute(minute), "round skipped: {reason}");
        Ok(())
    }

    fn stage_time(&self, feed: &Feed, minute: i64, stage: &str, secs: f64) -> anyhow::Result<()> {
        self.metrics.stage_seconds.with_label_values(&[stage]).observe(secs);
        self.metrics.beat();
        self.store.add_timings(&feed.symbol, minute, &[(stage, secs)])?;
        Ok(())
    }

    /// One round from its candles.
    async fn round(&self, feed: &Feed, minute: i64, mut now: i64) -> anyhow::Result<Outcome> {
        let t0 = Instant::now();
        let mut attempt = 0;
        let candles = loop {
            attempt += 1;
            match self.exchange.window(&feed.symbol, minute, now).await {
                Ok(c) => break c,
                Err(e @ ExchangeError::BadCandles { .. }) if attempt < self.cfg.exchange.data_attempts => {
                    self.metrics.errors.with_label_values(&["candles"]).inc();
                    tracing::warn!(attempt, "{e}; asking again");
                    tokio::time::sleep(Duration::from_millis(500 * attempt as u64)).await;
                    now = self.clock.read(&self.exchange, &feed.symbol).await.unwrap_or(now);
                }
                Err(e) => {
                    self.metrics.errors.with_label_values(&["exchange"]).inc();
                    return Ok(Outcome::Skipped(format!("no valid candles: {e}")));
                }
            }
        };
        // What this node checks alone before it signs: the candles are the symbol's, and move as
        // markets move.
        let ticker = match self.exchange.ticker_price(&feed.symbol).await {
            Ok(p) => p,
            Err(e) => {
                self.metrics.errors.with_label_values(&["exchange"]).inc();
                return Ok(Outcome::Skipped(format!("cannot cross-check the candles against the ticker price: {e}")));
            }
        };
        if let Err(why) = crate::sanity::check(&feed.symbol, &candles, ticker, &self.cfg.sanity_bounds()) {
            self.metrics.errors.with_label_values(&["sanity"]).inc();
            return Ok(Outcome::Skipped(format!("refused before signing: {why}")));
        }
        self.stage_time(feed, minute, "fetch", t0.elapsed().as_secs_f64())?;
        if let Err(why) = clock::ensure_closed(&candles[candles.len() - 1], self.clock.now()) {
            return Ok(Outcome::Skipped(why));
        }
        let t = Instant::now();
        let inf = match self.signaler.infer(&candles) {
            Ok(i) => i,
            Err(e) => return Ok(Outcome::Skipped(format!("features/model: {e:#}"))),
        };
        self.store.set_computed(&feed.symbol, minute, inf.signal, &inf.logits, &inf.input)?;
        self.stage_time(feed, minute, "infer", t.elapsed().as_secs_f64())?;
        tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), signal = veriregime_core::features::CLASS_NAMES[inf.signal as usize], "computed");
        self.committee_round(feed, &inf, now, t0).await
    }

    /// The committee's part of a round: this node's input binding (the first transmitter of the
    /// minute proves at once, as its proof carries the binding; the others only commit to their
    /// window), its signed report pushed to its peers, the members' reports gathered until k
    /// signed the same binding, then the transmission schedule: the first member sends; each next
    /// one takes over when the round is not on chain `failover_ms` later. `now`: the exchange's
    /// clock when the round started at `t0`.
    async fn committee_round(&self, feed: &Feed, inf: &Inference, now: i64, t0: Instant) -> anyhow::Result<Outcome> {
        let minute = inf.decision_minute;
        let minute_s = (minute / 1000) as u64;
        // Publish on change and heartbeat: every member reads the same chain and computed the
        // same signal from the same window, so all of them decide alike (a member whose candles
        // differ may not: its round then finds no quorum, or is caught up from the chain).
        let (rule, latest) = match self.rpc("getFeed", || read_publishing(&self.provider, self.oracle, feed.id, self.signaler.model_id)).await {
            Ok(p) => p,
            Err(e) => return Ok(Outcome::Skipped(format!("cannot read the feed's heartbeat and latest round: {e:#}"))),
        };
        if latest.is_some_and(|p| p.decision_minute_s >= minute_s) {
            // Already on chain (another member was faster, or this node before a restart).
            if let Some(o) = self.on_chain(feed, minute).await? {
                return self.confirmed_by(feed, minute, o, Some(t0));
            }
        }
        let decision = rule.decide(latest, minute_s, inf.signal);
        if let Some(reason) = decision.unchanged_reason() {
            return Ok(Outcome::Unchanged(reason));
        }
        let committee = match self.rpc("getCommittee", || self.network.committee(feed.id)).await {
            Ok(c) => c,
            Err(e) => return Ok(Outcome::Skipped(format!("cannot read the feed's committee: {e:#}"))),
        };
        let me = self.signer.address();
        let order = committee.transmit_order(feed.id, minute_s);
        let Some(rank) = order.iter().position(|a| *a == me) else {
            return Ok(Outcome::Skipped(crate::committee::not_a_member(&committee, me)));
        };
        let mut proven = None;
        let binding = if rank == 0 {
            match self.prove(feed, inf).await? {
                Ok(p) => {
                    let b = p.binding;
                    proven = Some(p);
                    b
                }
                Err(why) => return Ok(Outcome::Skipped(why)),
            }
        } else {
            match self.commit(feed, inf).await? {
                Ok(b) => b,
                Err(why) => return Ok(Outcome::Skipped(why)),
            }
        };
        let tally = self.gather(feed, &committee, minute_s, binding).await?;
        let k = committee.threshold;
        if !tally.quorum(k) {
            self.metrics.quorum.with_label_values(&[feed.symbol.as_str(), "missed"]).inc();
            return Ok(Outcome::Skipped(tally.no_quorum(&committee, binding)));
        }
        self.metrics.quorum.with_label_values(&[feed.symbol.as_str(), "reached"]).inc();
        tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), signers = ?tally.signers(), place = rank, "quorum");
        if rank > 0 {
            // Our turn comes `rank` failover delays after the close (by the exchange's clock).
            let turn = minute + MINUTE_MS + self.cfg.exchange.settle_ms as i64 + rank as i64 * self.cfg.network.failover_ms as i64;
            loop {
                if let Some(o) = self.on_chain(feed, minute).await? {
                    return self.confirmed_by(feed, minute, o, Some(t0));
                }
                let left = turn - (now + t0.elapsed().as_millis() as i64);
                if left <= 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(left.clamp(1, 500) as u64)).await;
            }
            self.metrics.failovers.with_label_values(&[feed.symbol.as_str()]).inc();
            tracing::warn!(feed = %feed.symbol, minute = %fmt_minute(minute), before = ?&order[..rank], "the round is not on chain in time: transmitting in place of the members before this one");
        }
        let proven = match proven {
            Some(p) => p,
            None => match self.prove(feed, inf).await? {
                Ok(p) => p,
                Err(why) => return Ok(Outcome::Skipped(why)),
            },
        };
        if proven.binding != binding {
            return Ok(Outcome::Skipped(format!("the proof's input binding {} is not the {binding} the committee signed", proven.binding)));
        }
        self.submit(feed, minute, proven.proof, proven.instances, committee.quorum(tally.signatures(k)), t0).await
    }

    /// The round's input binding without a proof (what the proof would carry), recorded.
    async fn commit(&self, feed: &Feed, inf: &Inference) -> anyhow::Result<Result<B256, String>> {
        let t = Instant::now();
        let minute = inf.decision_minute;
        let work = self.cfg.daemon.work_dir.join(format!("{}-{}-commit", feed.symbol, minute / 1000));
        let timeout = Duration::from_millis(self.cfg.model.prove_timeout_ms);
        let b = match tokio::time::timeout(timeout, expected_binding(&self.signaler, &inf.input, &work)).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Ok(Err(format!("cannot compute the input binding: {e:#}"))),
            Err(_) => return Ok(Err(format!("computing the input binding took over {} ms", timeout.as_millis()))),
        };
        let _ = std::fs::remove_dir_all(&work);
        self.store.set_binding(&feed.symbol, minute, &format!("{b}"))?;
        self.stage_time(feed, minute, "commit", t.elapsed().as_secs_f64())?;
        Ok(Ok(b))
    }

    /// Signs this node's report of the round over `binding`, pushes it to the peers and gathers
    /// the members' reports until k signed the same binding, k signed another one, or
    /// `quorum_timeout_ms` passed; records any disagreement.
    async fn gather(&self, feed: &Feed, committee: &Committee, minute_s: u64, binding: B256) -> anyhow::Result<Tally> {
        let t = Instant::now();
        let minute = minute_s as i64 * 1000;
        let ours = committee.report(feed.id, self.signaler.model_id, minute_s, binding);
        let own = SignedReport::sign(ours.clone(), &self.domain, &self.signer)?;
        self.network.publish(own);
        let k = committee.threshold;
        let deadline = t + Duration::from_millis(self.cfg.network.quorum_timeout_ms);
        let mut last_pull: Option<Instant> = None;
        let tally = loop {
            let tally = Tally::of(committee, &self.network.reports(feed.id, minute_s), &ours);
            if tally.quorum(k) || tally.rival(k).is_some() || Instant::now() >= deadline {
                break tally;
            }
            // Pushed reports arrive by themselves; pull now and then for those that were not.
            if last_pull.is_none_or(|p| p.elapsed() >= Duration::from_millis(1_000)) && t.elapsed() >= Duration::from_millis(300) {
                last_pull = Some(Instant::now());
                self.network.pull(feed.id, minute_s).await;
                continue;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        if let Some(d) = tally.disagreement(binding) {
            self.metrics.disagreements.with_label_values(&[feed.symbol.as_str()]).inc();
            tracing::warn!(feed = %feed.symbol, minute = %fmt_minute(minute), ours = %binding, theirs = ?tally.others, "members signed another input binding than this node's");
            self.store.set_disagreement(&feed.symbol, minute, &d)?;
        }
        self.stage_time(feed, minute, "quorum", t.elapsed().as_secs_f64())?;
        Ok(tally)
    }

    /// Proves the round's window (checked against tract) and records the proof; `Err`: why not.
    async fn prove(&self, feed: &Feed, inf: &Inference) -> anyhow::Result<Result<veriregime_zk::Proven, String>> {
        let minute = inf.decision_minute;
        let t = Instant::now();
        let work = self.cfg.daemon.work_dir.join(format!("{}-{}", feed.symbol, minute / 1000));
        let timeout = Duration::from_millis(self.cfg.model.prove_timeout_ms);
        let mut attempt = 0;
        let proven = loop {
            attempt += 1;
            match self.signaler.prove_within(inf, &work, timeout).await {
                Ok(p) => break p,
                Err(e) if e.downcast_ref::<OutputMismatch>().is_some() => {
                    self.metrics.errors.with_label_values(&["mismatch"]).inc();
                    return Ok(Err(format!("{e}")));
                }
                Err(e) if attempt < self.cfg.model.prove_attempts => {
                    self.metrics.errors.with_label_values(&["prover"]).inc();
                    tracing::warn!(attempt, "prover: {e:#}; restarting it");
                }
                Err(e) => {
                    self.metrics.errors.with_label_values(&["prover"]).inc();
                    return Ok(Err(format!("prover failed {attempt} times: {e:#}")));
                }
            }
        };
        let _ = std::fs::remove_dir_all(&work);
        let instances: Vec<String> = proven.instances.iter().map(|w| format!("{w:#x}")).collect();
        self.store.set_proved(&feed.symbol, minute, &proven.proof, &serde_json::to_string(&instances)?, &format!("{}", proven.binding))?;
        self.stage_time(feed, minute, "prove", t.elapsed().as_secs_f64())?;
        tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), prove_s = proven.prove_s, "proved");
        Ok(Ok(proven))
    }

    /// An RPC call retried (with backoff) while the node does not answer.
    async fn rpc<T, E: Into<anyhow::Error>, F: std::future::IntoFuture<Output = Result<T, E>>>(&self, what: &str, f: impl Fn() -> F) -> anyhow::Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    // The whole chain (a timeout says so only in its cause), credentials masked.
                    let e = veriregime_core::redact::error_chain(e.into().as_ref());
                    if attempt >= self.cfg.chain.rpc_attempts {
                        return Err(anyhow!("{what}: {e} (after {attempt} attempts)"));
                    }
                    self.metrics.errors.with_label_values(&["rpc"]).inc();
                    self.cfg.rpc_retry_policy().pause(attempt, None, &format!("{what}: {e}")).await;
                }
            }
        }
    }

    /// The committee's signatures over the round's report with `binding`, gathered anew (a round
    /// resumed after a restart, a lost transaction signed again). `Err`: why the round cannot be
    /// counted.
    async fn signatures(&self, feed: &Feed, minute: i64, binding: B256) -> anyhow::Result<Result<Quorum, String>> {
        let committee = match self.rpc("getCommittee", || self.network.committee(feed.id)).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(format!("cannot read the feed's committee: {e:#}"))),
        };
        if committee.index_of(self.signer.address()).is_none() {
            return Ok(Err(crate::committee::not_a_member(&committee, self.signer.address())));
        }
        let tally = self.gather(feed, &committee, (minute / 1000) as u64, binding).await?;
        Ok(if tally.quorum(committee.threshold) { Ok(committee.quorum(tally.signatures(committee.threshold))) } else { Err(tally.no_quorum(&committee, binding)) })
    }

    /// Preflight, sign the transaction, record, broadcast, wait.
    async fn submit(&self, feed: &Feed, minute: i64, proof: Bytes, instances: Vec<U256>, quorum: Quorum, t0: Instant) -> anyhow::Result<Outcome> {
        let t = Instant::now();
        let oracle = ISignalOracle::new(self.oracle, &self.provider);
        // Against the pending block: the block the transaction would join, stamped with the
        // chain's time now (an idle chain's latest block can be minutes old).
        let call = oracle
            .submit(feed.id, self.signaler.model_id, (minute / 1000) as u64, proof, instances, quorum.members, quorum.signatures)
            .from(self.signer.address())
            .block(alloy::eips::BlockId::pending());
        // Preflight: a revert is a reason, not a transaction; a node that does not answer is
        // retried; a chain whose time has not reached the candle's close yet is waited for.
        let lag_until = Instant::now() + Duration::from_millis(self.cfg.chain.max_block_lag_ms);
        let (mut attempt, mut waited) = (0, false);
        loop {
            attempt += 1;
            match call.call().await {
                Ok(_) => break,
                Err(e) if is_minute_in_future(&e) && Instant::now() < lag_until => {
                    if !waited {
                        tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), "the chain's time is before the decision candle's close: waiting for a later block");
                        waited = true;
                    }
                    attempt = 0;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) if e.as_revert_data().is_some() => {
                    if let Some(o) = self.on_chain(feed, minute).await? {
                        return self.confirmed_by(feed, minute, o, Some(t0));
                    }
                    return Ok(Outcome::Skipped(format!("preflight reverted: {}", describe_revert(&e))));
                }
                Err(e) if attempt < self.cfg.chain.rpc_attempts => {
                    self.metrics.errors.with_label_values(&["rpc"]).inc();
                    self.cfg.rpc_retry_policy().pause(attempt, None, &format!("preflight: {}", veriregime_core::redact::error_chain(&e))).await;
                }
                Err(e) => return Ok(Outcome::Skipped(format!("node unreachable at preflight: {e} (after {attempt} attempts)"))),
            }
        }
        let sent: anyhow::Result<_> = async {
            let gas = self.rpc("estimate gas", || call.estimate_gas()).await?;
            let fees = self.rpc("fee estimate", || self.provider.estimate_eip1559_fees()).await?;
            let nonce = self.rpc("nonce", || self.provider.get_transaction_count(self.signer.address()).pending()).await?;
            let chain_id = self.rpc("chain id", || self.provider.get_chain_id()).await?;
            let tx = call
                .clone()
                .into_transaction_request()
                .with_nonce(nonce)
                .with_chain_id(chain_id)
                .with_gas_limit(gas + gas / 5)
                .with_max_fee_per_gas(fees.max_fee_per_gas)
                .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
            Ok(tx)
        }
        .await;
        let tx = match sent {
            Ok(tx) => tx,
            Err(e) => return Ok(Outcome::Skipped(format!("cannot prepare the transaction: {e:#}"))),
        };
        // An account that cannot pay is not congestion: the round is skipped with that reason and
        // nothing is broadcast (no hash is recorded that could never reach the chain).
        let need = U256::from(tx.gas.unwrap_or_default()) * U256::from(tx.max_fee_per_gas.unwrap_or_default());
        let balance = self.rpc("balance", || self.provider.get_balance(self.signer.address())).await?;
        self.metrics.balance_eth.set(wei_to_eth(balance));
        if balance < need {
            self.metrics.errors.with_label_values(&["funds"]).inc();
            let why = format!(
                "insufficient funds: the operator {} holds {} ETH and the transaction may cost up to {} ETH; fund the account",
                self.signer.address(),
                wei_to_eth(balance),
                wei_to_eth(need)
            );
            tracing::error!(feed = %feed.symbol, minute = %fmt_minute(minute), "{why}");
            return Ok(Outcome::Skipped(why));
        }
        self.stage_time(feed, minute, "submit", t.elapsed().as_secs_f64())?;
        self.send_and_wait(feed, minute, tx, t0).await
    }

    /// Signs `tx`, records it, broadcasts it and waits for a receipt, replacing it with higher
    /// fees (same nonce) when it is stuck.
    async fn send_and_wait(&self, feed: &Feed, minute: i64, mut tx: alloy::rpc::types::TransactionRequest, t0: Instant) -> anyhow::Result<Outcome> {
        let t = Instant::now();
        let nonce = tx.nonce.context("nonce set")?;
        for replacement in 0..=self.cfg.chain.max_replacements {
            if replacement > 0 {
                let bump = |v: u128| v + v * self.cfg.chain.fee_bump_percent as u128 / 100 + 1;
                tx.max_fee_per_gas = tx.max_fee_per_gas.map(bump);
                tx.max_priority_fee_per_gas = tx.max_priority_fee_per_gas.map(bump);
                self.metrics.replacements.with_label_values(&[feed.symbol.as_str()]).inc();
                tracing::warn!(feed = %feed.symbol, minute = %fmt_minute(minute), nonce, replacement, "no receipt in time: replacing the transaction with higher fees");
            }
            let envelope = tx.clone().build(&self.wallet).await.map_err(|e| anyhow!("signing: {e}"))?;
            let hash = *envelope.tx_hash();
            let raw = envelope.encoded_2718();
            // Recorded before it leaves: after a crash the next start knows it may be out.
            self.store.set_submitted(&feed.symbol, minute, nonce, &format!("{hash}"), &raw)?;
            if let Err(e) = self.provider.send_raw_transaction(&raw).await {
                // The node refused the transaction for a reason that waiting and higher fees do
                // not mend: the round is skipped with it (an earlier one of this round may still
                // be in the pool when this is a replacement: that one is waited for).
                if let Some(fatal) = fatal_broadcast_error(&e.to_string()).filter(|_| replacement == 0) {
                    self.metrics.errors.with_label_values(&["funds"]).inc();
                    let why = format!("the node refused the transaction: {fatal} ({})", veriregime_core::redact::error_chain(&e));
                    tracing::error!(feed = %feed.symbol, minute = %fmt_minute(minute), %hash, "{why}");
                    return Ok(Outcome::Skipped(why));
                }
                tracing::warn!(%hash, "broadcast: {e}");
                self.metrics.errors.with_label_values(&["rpc"]).inc();
            } else {
                tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), %hash, nonce, "sent");
            }
            let deadline = Instant::now() + Duration::from_millis(self.cfg.chain.confirm_timeout_ms);
            while Instant::now() < deadline {
                if let Some(o) = self.look_up(feed, minute, Some(t0), Some(t)).await? {
                    return Ok(o);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        tracing::warn!(feed = %feed.symbol, minute = %fmt_minute(minute), "still no receipt after {} replacements; looking again every tick", self.cfg.chain.max_replacements);
        Ok(Outcome::Pending)
    }

    /// Looks for a receipt of any of the round's transactions.
    async fn look_up(&self, feed: &Feed, minute: i64, t0: Option<Instant>, t_send: Option<Instant>) -> anyhow::Result<Option<Outcome>> {
        let row = self.store.get(&feed.symbol, minute)?.context("round row")?;
        for h in row.tx_hashes() {
            let hash: B256 = h.parse().context("stored tx hash")?;
            let Ok(Some(r)) = self.provider.get_transaction_receipt(hash).await else {
                continue;
            };
            if !r.status() {
                if let Some(o) = self.on_chain(feed, minute).await? {
                    return Ok(Some(self.confirmed_by(feed, minute, o, t0)?));
                }
                return Ok(Some(Outcome::Skipped(format!("transaction {hash} reverted on chain (block {:?})", r.block_number))));
            }
            let round_id = r
                .inner
                .logs()
                .iter()
                .find_map(|l| l.log_decode::<ISignalOracle::SignalSubmitted>().ok())
                .map(|l| l.inner.data.roundId.to::<u64>())
                .context("the receipt has no SignalSubmitted event")?;
            if let Some(ts) = t_send {
                self.stage_time(feed, minute, "confirm", ts.elapsed().as_secs_f64())?;
            }
            let tx = Confirmation { hash, block: r.block_number.unwrap_or_default(), gas: r.gas_used };
            let outcome = self.confirmed(feed, minute, round_id, Some(tx), t0)?;
            self.record_signers(feed, minute, round_id).await;
            return Ok(Some(outcome));
        }
        Ok(None)
    }

    /// Records a confirmed round; `t0` is when this run started it (none when it is found after
    /// a restart, which has no meaningful duration).
    /// `tx`: our receipt, when there is one (not when the round was found on the oracle only).
    fn confirmed(&self, feed: &Feed, minute: i64, round_id: u64, tx: Option<Confirmation>, t0: Option<Instant>) -> anyhow::Result<Outcome> {
        self.store.set_confirmed(&feed.symbol, minute, round_id, tx.map_or(0, |t| t.block), tx.map_or(0, |t| t.gas))?;
        if let Some(t0) = t0 {
            self.stage_time(feed, minute, "total", t0.elapsed().as_secs_f64())?;
        }
        self.metrics.rounds.with_label_values(&[feed.symbol.as_str(), "confirmed"]).inc();
        self.metrics.last_confirmed_minute.with_label_values(&[feed.symbol.as_str()]).set(minute / 1000);
        self.metrics.last_current_minute.with_label_values(&[feed.symbol.as_str()]).set(minute / 1000);
        tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), round_id, tx = tx.map(|t| tracing::field::display(t.hash)), gas = tx.map(|t| t.gas), "confirmed");
        Ok(Outcome::Confirmed { round_id })
    }

    /// The oracle's round of `minute`, when it has one (sent by any member: this node in an
    /// earlier try whose receipt was lost, or another member of the schedule). Rounds are stored
    /// in increasing decision minutes, so the search walks back from the latest.
    async fn on_chain(&self, feed: &Feed, minute: i64) -> anyhow::Result<Option<RoundRecord>> {
        let oracle = ISignalOracle::new(self.oracle, &self.provider);
        let minute_s = (minute / 1000) as u64;
        // `latestSignal` reverts before a feed's first round: the id is read instead.
        let call = oracle.latestRoundId(feed.id);
        let mut id = self.rpc("latestRoundId", || call.call()).await?.to::<u64>();
        while id > 0 {
            let r = self.rpc("getRound", || read_round(&self.provider, self.oracle, feed.id, id)).await?;
            if r.decision_minute_s == minute_s {
                return Ok(Some(r));
            }
            if r.decision_minute_s < minute_s {
                break;
            }
            id -= 1;
        }
        Ok(None)
    }

    /// Records a round the chain holds, whoever transmitted it.
    fn confirmed_by(&self, feed: &Feed, minute: i64, o: RoundRecord, t0: Option<Instant>) -> anyhow::Result<Outcome> {
        let me = self.signer.address();
        let outcome = self.confirmed(feed, minute, o.round_id, None, t0)?;
        self.store.set_transmission(&feed.symbol, minute, o.transmitter, &o.signers)?;
        if o.transmitter != me {
            tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), round_id = o.round_id, transmitter = %o.transmitter, signers = ?o.signers, "confirmed by another member's transmission");
        }
        Ok(outcome)
    }

    /// Records who signed and sent a round this node confirmed from its own receipt (a failed
    /// read is logged: the round is confirmed either way, and catching up fills it in).
    async fn record_signers(&self, feed: &Feed, minute: i64, round_id: u64) {
        match read_round(&self.provider, self.oracle, feed.id, round_id).await {
            Ok(r) => {
                if let Err(e) = self.store.set_transmission(&feed.symbol, minute, r.transmitter, &r.signers) {
                    tracing::warn!("recording the round's signers: {e}");
                }
            }
            Err(e) => tracing::warn!(round_id, "reading the round's signers: {e:#}"),
        }
    }

    /// Brings the database up to what the chain holds: every round on chain that this node has
    /// no row of (it was down, or cut off from its peers) or skipped (no quorum seen here, its
    /// own candles disagreed) is recorded as confirmed, with the transmitter, the signers and what
    /// this node had recorded. A node that is behind the chain does not stay behind it.
    async fn catch_up(&self, feed: &Feed) -> anyhow::Result<()> {
        let oracle = ISignalOracle::new(self.oracle, &self.provider);
        let Ok(latest) = oracle.latestRoundId(feed.id).call().await else {
            return Ok(()); // node down: next tick
        };
        let latest = latest.to::<u64>();
        let known = self.caught_up.lock().expect("caught_up lock").get(&feed.id).copied();
        // From where this node's records end (at most a day back); a node with no records starts
        // at the chain's present and does not import history it never worked on.
        let from = match (known, self.store.last_minute(&feed.symbol)?) {
            (Some(k), _) => k,
            (None, Some(_)) => self.store.max_round_id(&feed.symbol)?.unwrap_or(0).min(latest).max(latest.saturating_sub(1_440)),
            (None, None) => latest,
        };
        // A bounded batch per tick: a node far behind catches up over a few ticks; a failed read
        // (node down) leaves the rest for the next tick.
        let mut done = from;
        for id in from + 1..=latest.min(from + 120) {
            let Ok(r) = read_round(&self.provider, self.oracle, feed.id, id).await else { break };
            let minute = r.decision_minute_s as i64 * 1000;
            let transmitter = r.transmitter;
            match self.store.get(&feed.symbol, minute)? {
                None => {
                    let note = format!("found on chain (round {id}, sent by {transmitter}); this node has no record of working on it (down, restarted or behind)");
                    if self.store.insert_confirmed(&feed.symbol, minute, id, &note)? {
                        self.store.set_transmission(&feed.symbol, minute, transmitter, &r.signers)?;
                        tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), round_id = id, %transmitter, "caught up: {note}");
                    }
                }
                Some(row) if matches!(row.stage, Stage::Skipped | Stage::Unchanged) => {
                    let had = if row.stage == Stage::Skipped { "skipped" } else { "not transmitted" };
                    let note =
                        format!("confirmed on chain (round {id}, sent by {transmitter}); this node had {had} it: {}", row.reason.as_deref().unwrap_or(""));
                    self.store.set_confirmed_with_note(&feed.symbol, minute, id, &note)?;
                    self.store.set_transmission(&feed.symbol, minute, transmitter, &r.signers)?;
                    self.metrics.rounds.with_label_values(&[feed.symbol.as_str(), "confirmed"]).inc();
                    tracing::info!(feed = %feed.symbol, minute = %fmt_minute(minute), round_id = id, "caught up: {note}");
                }
                Some(row) if row.stage == Stage::Confirmed && row.transmitter.is_none() => {
                    self.store.set_transmission(&feed.symbol, minute, transmitter, &r.signers)?;
                }
                // A round in flight here: its own path records it.
                Some(_) => {}
            }
            done = id;
        }
        self.caught_up.lock().expect("caught_up lock").insert(feed.id, done);
        Ok(())
    }

    /// Rounds with a transaction out: confirmed when a receipt shows up; the same signed bytes
    /// broadcast again when the node has forgotten them (a restarted node, a crash before the
    /// broadcast); skipped with a reason when the nonce went to something else or the oracle
    /// would now refuse the round.
    async fn reconcile_submitted(&self, feed: &Feed) -> anyhow::Result<()> {
        for row in self.store.unfinished(&feed.symbol)? {
            if row.stage != Stage::Submitted {
                continue;
            }
            let Ok(chain_nonce) = self.provider.get_transaction_count(self.signer.address()).await else {
                continue; // node down: look again next tick
            };
            if self.look_up(feed, row.minute, None, None).await?.is_some() {
                continue;
            }
            let nonce = row.nonce.unwrap_or(0);
            if chain_nonce > nonce {
                // The nonce is spent but none of our hashes has a receipt.
                match self.on_chain(feed, row.minute).await? {
                    Some(o) => {
                        self.confirmed_by(feed, row.minute, o, None)?;
                    }
                    None => self.skip(feed, row.minute, &format!("nonce {nonce} was used by another transaction; the round is not on chain"))?,
                }
                continue;
            }
            let mut known = false;
            for h in row.tx_hashes() {
                if let Ok(Some(_)) = self.provider.get_transaction_by_hash(h.parse()?).await {
                    known = true;
                }
            }
            if known {
                continue; // pending in the node's pool
            }
            let raw = Bytes::from(row.raw_tx.clone().unwrap_or_default());
            // Would it still be accepted? Rebroadcasting a transaction that reverts wastes gas.
            let oracle = ISignalOracle::new(self.oracle, &self.provider);
            let (proof, instances) = row.proven()?;
            let signatures = match self.signatures(feed, row.minute, row.binding()?).await? {
                Ok(s) => s,
                Err(why) => {
                    self.skip(feed, row.minute, &format!("its transaction was lost and it cannot be signed again: {why}"))?;
                    continue;
                }
            };
            let call = oracle
                .submit(feed.id, self.signaler.model_id, (row.minute / 1000) as u64, proof, instances, signatures.members, signatures.signatures)
                .from(self.signer.address());
            match call.call().await {
                Ok(_) => {
                    tracing::warn!(feed = %feed.symbol, minute = %fmt_minute(row.minute), nonce, "the node does not know the round's transaction: broadcasting the same signed bytes again");
                    if let Err(e) = self.provider.send_raw_transaction(&raw).await {
                        tracing::warn!("rebroadcast: {e}");
                    }
                }
                Err(e) if e.as_revert_data().is_some() => {
                    self.skip(feed, row.minute, &format!("its transaction was lost and the oracle now refuses it: {}", describe_revert(&e)))?;
                }
                Err(_) => {} // node down
            }
        }
        Ok(())
    }
}

/// Whether the oracle refused the round because the block's time is before its candle's close.
fn is_minute_in_future(e: &alloy::contract::Error) -> bool {
    matches!(
        e.as_decoded_interface_error::<ISignalOracle::ISignalOracleErrors>(),
        Some(ISignalOracle::ISignalOracleErrors::SignalOracleMinuteInFuture(_))
    )
}

/// `wei` in ether, for logs and the balance gauge.
fn wei_to_eth(wei: U256) -> f64 {
    f64::from(wei) / 1e18
}

/// What a broadcast error means when it is one that no retry or fee bump mends (a node's JSON-RPC
/// error texts, as geth, anvil and reth word them).
fn fatal_broadcast_error(msg: &str) -> Option<&'static str> {
    let m = msg.to_lowercase();
    if m.contains("insufficient funds") {
        Some("insufficient funds for gas * price + value: fund the operator account")
    } else if m.contains("exceeds block gas limit") || m.contains("intrinsic gas too low") {
        Some("the gas limit is outside what the chain accepts")
    } else {
        None
    }
}

/// The provider of the configured node: every call times out after `chain.rpc_timeout_ms`, and
/// marks the chain up or down in `metrics`.
fn rpc_provider(cfg: &Config, m: Arc<Metrics>) -> anyhow::Result<DynProvider> {
    let observer: veriregime_chain::rpc::Observer = Arc::new(move |r| m.mark(metrics::Part::Chain, r));
    veriregime_chain::rpc::connect_http(&cfg.chain.rpc_url, Duration::from_millis(cfg.chain.rpc_timeout_ms), Some(observer))
}

/// Runs `fut`; when shutdown is asked for, gives it `grace` to finish. `None`: abandoned (the
/// future, with any prover child, is dropped).
async fn with_grace<T>(fut: impl std::future::Future<Output = T>, shutdown: &mut watch::Receiver<bool>, grace: Duration) -> Option<T> {
    tokio::pin!(fut);
    if !*shutdown.borrow() {
        tokio::select! {
            r = &mut fut => return Some(r),
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!(grace_ms = grace.as_millis() as u64, "shutdown asked: letting the round in flight finish");
    tokio::time::timeout(grace, fut).await.ok()
}

/// A watch that turns true on SIGTERM or SIGINT.
pub fn shutdown_signal() -> anyhow::Result<watch::Receiver<bool>> {
    use tokio::signal::unix::{signal, SignalKind};
    let (tx, rx) = watch::channel(false);
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
        let _ = tx.send(true);
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broadcast_refused_for_funds_is_fatal_and_a_busy_node_is_not() {
        // anvil's and geth's words for an account that cannot pay.
        assert!(fatal_broadcast_error("server returned an error response: error code -32003: Insufficient funds for gas * price + value").is_some());
        assert!(fatal_broadcast_error("insufficient funds for gas * price + value: address 0xab have 0 want 1").is_some());
        assert!(fatal_broadcast_error("error sending request for url (http://127.0.0.1:8545/)").is_none());
        assert!(fatal_broadcast_error("replacement transaction underpriced").is_none());
        assert_eq!(wei_to_eth(U256::from(1_500_000_000_000_000_000u128)), 1.5);
    }

    #[test]
    fn due_minutes_follow_the_exchange_clock_and_the_cadence() {
        let m = MINUTE_MS;
        // 10:05:00.500 with 1 s settle: 10:03 closed at 10:04, 10:04 closes at 10:05 (+1 s settle not yet).
        let now = 605 * m + 500;
        assert_eq!(latest_due(now, m, 1000), 603 * m);
        assert_eq!(latest_due(605 * m + 1000, m, 1000), 604 * m);
        // Every 5 minutes: the latest multiple of 5 that has closed.
        assert_eq!(latest_due(now, 5 * m, 1000), 600 * m);
        assert_eq!(latest_due(600 * m + 1000, 5 * m, 1000), 595 * m);
    }
}

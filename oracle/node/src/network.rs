//! The committee's report exchange: how the members of a feed's committee hand each other their
//! signed reports of a round.
//!
//! Transport: plain HTTP between the nodes' axum servers. A committee is a handful of operators
//! whose membership the chain fixes, so nothing needs discovering or gossiping; every report is
//! EIP-712-signed, so the transport needs no authentication of its own (a report is checked
//! against the chain's committee whoever delivers it); and HTTP is what operators already proxy,
//! firewall, terminate TLS for and debug with `curl`. A node pushes its own report to every peer
//! (`POST /v1/reports`) as soon as it has signed it, and pulls what it lacks
//! (`GET /v1/reports/{feed}/{minute}`) while it waits, so a report lost in a push, or pushed while
//! the receiver was down, still arrives. There is no agreement protocol here: each node counts
//! the valid signatures over its own binding, and the chain (k signatures of distinct members over
//! exactly the round's report, the proof's binding) is the only arbiter.
//!
//! A report is accepted only when it is for a feed this node serves, under the model the feed
//! uses, signed by a member of the committee the oracle holds now (read from the chain, never from
//! peers or config); anything else is dropped and counted by reason.

use crate::daemon::metrics::Metrics;
use alloy::primitives::{Address, B256};
use alloy::providers::DynProvider;
use alloy::sol_types::Eip712Domain;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use veriregime_chain::committee::{Committee, SignedReport};

/// Rounds per feed whose reports are kept in memory (older ones are forgotten).
const KEEP_ROUNDS: usize = 512;

/// Reports held: feed -> decision minute (s) -> signer -> report.
type Held = BTreeMap<B256, BTreeMap<u64, BTreeMap<Address, SignedReport>>>;

/// Why a report was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("feed {0} is not one this node serves")]
    UnknownFeed(B256),
    #[error("the report is for model {got}, the feed uses {want}")]
    WrongModel { got: B256, want: B256 },
    #[error("the signature is not {0}'s over this report")]
    BadSignature(Address),
    #[error("{signer} is not a member of the feed's committee (version {version})")]
    NotMember { signer: Address, version: u32 },
    #[error("the report is for committee version {got}, the oracle's is {want}")]
    StaleCommittee { got: u32, want: u32 },
    #[error("cannot read the feed's committee: {0}")]
    Chain(String),
}

impl Refusal {
    /// The metric label of the refusal.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::UnknownFeed(_) => "unknown_feed",
            Refusal::WrongModel { .. } => "wrong_model",
            Refusal::BadSignature(_) => "bad_signature",
            Refusal::NotMember { .. } => "not_member",
            Refusal::StaleCommittee { .. } => "stale_committee",
            Refusal::Chain(_) => "chain",
        }
    }
}

/// This node's end of the exchange: the reports it holds (its own and its peers'), the peers it
/// talks to, and what it checks reports against.
pub struct Network {
    me: Address,
    peers: Vec<String>,
    http: reqwest::Client,
    provider: DynProvider,
    oracle: Address,
    domain: Eip712Domain,
    /// Feed id -> the model it uses.
    feeds: BTreeMap<B256, B256>,
    committees: tokio::sync::Mutex<HashMap<B256, Committee>>,
    reports: Mutex<Held>,
    metrics: Arc<Metrics>,
}

impl Network {
    /// `peers`: base URLs of the other members' servers (`http://host:port`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        me: Address,
        peers: Vec<String>,
        timeout: Duration,
        provider: DynProvider,
        oracle: Address,
        domain: Eip712Domain,
        feeds: BTreeMap<B256, B256>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Arc<Network>> {
        let http = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout).build()?;
        let peers = peers.into_iter().map(|p| p.trim_end_matches('/').to_string()).collect();
        Ok(Arc::new(Network { me, peers, http, provider, oracle, domain, feeds, committees: Default::default(), reports: Default::default(), metrics }))
    }

    /// The feed's committee as the oracle holds it now (and remembered for checking reports).
    pub async fn committee(&self, feed: B256) -> anyhow::Result<Committee> {
        let c = Committee::read(&self.provider, self.oracle, feed).await?;
        self.committees.lock().await.insert(feed, c.clone());
        Ok(c)
    }

    /// The committee a report is checked against: the remembered one, read again when the
    /// report names another version (the committee may have changed since).
    async fn committee_for(&self, feed: B256, version: u32) -> Result<Committee, Refusal> {
        let known = self.committees.lock().await.get(&feed).cloned();
        match known {
            Some(c) if c.version == version => Ok(c),
            _ => self.committee(feed).await.map_err(|e| Refusal::Chain(format!("{e:#}"))),
        }
    }

    /// Checks a report and keeps it; `Ok(false)` when it was already held.
    pub async fn accept(&self, r: SignedReport) -> Result<bool, Refusal> {
        let verdict = self.check(&r).await;
        match &verdict {
            Err(why) => {
                self.metrics.reports_dropped.with_label_values(&[why.label()]).inc();
                tracing::warn!(signer = %r.signer, feed = %r.report.feedId, minute = r.report.decisionMinute, "report dropped: {why}");
            }
            Ok(()) if r.signer != self.me => {
                self.metrics.reports_received.with_label_values(&[&format!("{}", r.signer)]).inc();
            }
            Ok(()) => {}
        }
        verdict?;
        Ok(self.keep(r))
    }

    async fn check(&self, r: &SignedReport) -> Result<(), Refusal> {
        let feed = r.report.feedId;
        let want = *self.feeds.get(&feed).ok_or(Refusal::UnknownFeed(feed))?;
        if r.report.modelId != want {
            return Err(Refusal::WrongModel { got: r.report.modelId, want });
        }
        r.verify(&self.domain).map_err(|_| Refusal::BadSignature(r.signer))?;
        let c = self.committee_for(feed, r.report.committeeVersion).await?;
        if c.version != r.report.committeeVersion {
            return Err(Refusal::StaleCommittee { got: r.report.committeeVersion, want: c.version });
        }
        if c.index_of(r.signer).is_none() {
            return Err(Refusal::NotMember { signer: r.signer, version: c.version });
        }
        Ok(())
    }

    /// Keeps a checked report (one per signer and round: a member that signs two bindings for a
    /// round keeps its first here; the chain counts a signer once anyway).
    fn keep(&self, r: SignedReport) -> bool {
        let mut all = self.reports.lock().expect("reports lock");
        let feed = all.entry(r.report.feedId).or_default();
        let round = feed.entry(r.report.decisionMinute).or_default();
        if round.contains_key(&r.signer) {
            return false;
        }
        round.insert(r.signer, r);
        while feed.len() > KEEP_ROUNDS {
            feed.pop_first();
        }
        true
    }

    /// Keeps this node's own report of a round and pushes it to every peer (in the background).
    pub fn publish(self: &Arc<Self>, own: SignedReport) {
        self.keep(own.clone());
        for peer in self.peers.clone() {
            let me = self.clone();
            let own = own.clone();
            tokio::spawn(async move {
                let url = format!("{peer}/v1/reports");
                match me.http.post(&url).json(&own).send().await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => tracing::warn!(%peer, status = %r.status(), "peer refused our report"),
                    Err(e) => tracing::debug!(%peer, "pushing our report: {e}"),
                }
            });
        }
    }

    /// Asks every peer for the reports it holds of a round; keeps the valid ones.
    pub async fn pull(&self, feed: B256, decision_minute_s: u64) {
        let asks = self.peers.iter().map(|peer| {
            let url = format!("{peer}/v1/reports/{feed}/{decision_minute_s}");
            async move {
                let got = async { self.http.get(&url).send().await?.error_for_status()?.json::<Vec<SignedReport>>().await }.await;
                match got {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::debug!(%peer, "pulling reports: {e}");
                        Vec::new()
                    }
                }
            }
        });
        for batch in futures::future::join_all(asks).await {
            for r in batch {
                if r.report.feedId == feed && r.report.decisionMinute == decision_minute_s {
                    let _ = self.accept(r).await;
                }
            }
        }
    }

    /// The reports held of a round, in signer order.
    pub fn reports(&self, feed: B256, decision_minute_s: u64) -> Vec<SignedReport> {
        let all = self.reports.lock().expect("reports lock");
        all.get(&feed).and_then(|f| f.get(&decision_minute_s)).map(|r| r.values().cloned().collect()).unwrap_or_default()
    }

    /// Serves `POST /v1/reports` and `GET /v1/reports/{feed}/{minute}` on `addr` until the process
    /// ends; returns the bound address.
    pub async fn serve(self: &Arc<Self>, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
        use axum::extract::{Path, State};
        use axum::http::StatusCode;
        use axum::response::IntoResponse;
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("network.listen: cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr()?;
        async fn post(State(n): State<Arc<Network>>, axum::Json(r): axum::Json<SignedReport>) -> axum::response::Response {
            match n.accept(r).await {
                Ok(_) => StatusCode::NO_CONTENT.into_response(),
                Err(Refusal::Chain(e)) => (StatusCode::SERVICE_UNAVAILABLE, e).into_response(),
                Err(why) => (StatusCode::FORBIDDEN, why.to_string()).into_response(),
            }
        }
        async fn get(State(n): State<Arc<Network>>, Path((feed, minute)): Path<(B256, u64)>) -> axum::response::Response {
            axum::Json(n.reports(feed, minute)).into_response()
        }
        let app = axum::Router::new()
            .route("/v1/reports", axum::routing::post(post))
            .route("/v1/reports/{feed}/{minute}", axum::routing::get(get))
            .with_state(self.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("peer server stopped: {e}");
            }
        });
        Ok(bound)
    }
}

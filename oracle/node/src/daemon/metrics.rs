//! Prometheus metrics (`GET /metrics`, text format) and a health endpoint (`GET /health`, JSON:
//! 200 when the round loop is alive and the exchange and the chain answer; 503 when the loop has
//! not moved for too long, or the exchange or the chain is down, naming which, since when and why).

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use std::net::SocketAddr;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// What the daemon depends on, each marked up or down by the outcome of every call to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Exchange,
    Chain,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Exchange => "exchange",
            Part::Chain => "chain",
        }
    }
}

/// The last outcome of the calls to one part.
#[derive(Debug, Clone)]
struct PartState {
    up: bool,
    /// Unix ms since it has been up (or down).
    since_ms: i64,
    /// Why it is down (the latest failure, scrubbed).
    reason: Option<String>,
}

pub struct Metrics {
    pub registry: Registry,
    /// Rounds finished, by feed and outcome (confirmed, skipped, unchanged).
    pub rounds: IntCounterVec,
    /// Seconds per stage (fetch, infer, prove, submit, confirm, total).
    pub stage_seconds: HistogramVec,
    /// Decision minute (unix seconds) of the latest confirmed round, per feed.
    pub last_confirmed_minute: IntGaugeVec,
    /// Decision minute (unix seconds) of the latest round confirmed or found unchanged on chain,
    /// per feed: the feed's signal is vouched for up to it (with a heartbeat above a minute,
    /// confirmed rounds come only on changes and heartbeats).
    pub last_current_minute: IntGaugeVec,
    /// The operator account's balance in ether (read at start and before each transaction).
    pub balance_eth: prometheus::Gauge,
    /// Local clock minus the exchange's, milliseconds.
    pub clock_skew_ms: IntGauge,
    /// Errors by kind (exchange, prover, rpc).
    pub errors: IntCounterVec,
    /// Transactions replaced for being stuck.
    pub replacements: IntCounterVec,
    /// Rounds by feed and whether k members signed this node's binding (reached, missed).
    pub quorum: IntCounterVec,
    /// Valid reports received from each committee member (by signer address).
    pub reports_received: IntCounterVec,
    /// Reports dropped, by reason (not_member, bad_signature, stale_committee, ...).
    pub reports_dropped: IntCounterVec,
    /// Rounds where a member signed another binding than this node's, by feed.
    pub disagreements: IntCounterVec,
    /// Rounds this node transmitted because the members before it in the schedule did not.
    pub failovers: IntCounterVec,
    /// Exchange clock answers refused for jumping against the local clock and the candles.
    pub clock_jumps: prometheus::IntCounter,
    /// 1 when the part (exchange, chain) answers, 0 when it is down.
    pub up: IntGaugeVec,
    /// Every metric's full name (`veriregime_...`), as /metrics exports it (a histogram's
    /// series add `_bucket`, `_sum`, `_count`): what alert rules and dashboards may use.
    pub names: Vec<String>,
    parts: Mutex<BTreeMap<Part, PartState>>,
    /// Unix ms of the loop's last sign of life.
    heartbeat_ms: AtomicI64,
    /// How long the loop may stay silent (the longest stage) before it counts as stuck.
    pub stuck_after_ms: i64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Metrics {
    pub fn new(stuck_after_ms: i64) -> Arc<Metrics> {
        const PREFIX: &str = "veriregime";
        let registry = Registry::new_custom(Some(PREFIX.into()), None).expect("valid prefix");
        let rounds = IntCounterVec::new(Opts::new("rounds_total", "Rounds finished, by feed and outcome"), &["feed", "outcome"]).expect("valid");
        let stage_seconds = HistogramVec::new(
            HistogramOpts::new("stage_seconds", "Seconds per round stage")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 32.0, 60.0, 120.0]),
            &["stage"],
        )
        .expect("valid");
        let last_confirmed_minute =
            IntGaugeVec::new(Opts::new("last_confirmed_minute_seconds", "Decision minute of the latest confirmed round"), &["feed"]).expect("valid");
        let last_current_minute =
            IntGaugeVec::new(Opts::new("last_current_minute_seconds", "Decision minute of the latest round confirmed or found unchanged on chain"), &["feed"])
                .expect("valid");
        let balance_eth = prometheus::Gauge::new("operator_balance_eth", "The operator account's balance, ether").expect("valid");
        let clock_skew_ms = IntGauge::new("clock_skew_ms", "Local clock minus the exchange's clock, ms").expect("valid");
        let errors = IntCounterVec::new(Opts::new("errors_total", "Errors by kind"), &["kind"]).expect("valid");
        let replacements = IntCounterVec::new(Opts::new("tx_replacements_total", "Stuck transactions replaced"), &["feed"]).expect("valid");
        let quorum =
            IntCounterVec::new(Opts::new("quorum_total", "Rounds by whether k members signed this node's binding"), &["feed", "outcome"]).expect("valid");
        let reports_received = IntCounterVec::new(Opts::new("reports_received_total", "Valid reports received, by signer"), &["signer"]).expect("valid");
        let reports_dropped = IntCounterVec::new(Opts::new("reports_dropped_total", "Reports dropped, by reason"), &["reason"]).expect("valid");
        let disagreements =
            IntCounterVec::new(Opts::new("disagreements_total", "Rounds where a member signed another binding than this node's"), &["feed"]).expect("valid");
        let failovers =
            IntCounterVec::new(Opts::new("failovers_total", "Rounds transmitted in place of an earlier member of the schedule"), &["feed"]).expect("valid");
        let clock_jumps = prometheus::IntCounter::new("exchange_clock_jumps_total", "Exchange clock answers refused for jumping").expect("valid");
        let up = IntGaugeVec::new(Opts::new("up", "1 when the part answers, 0 when it is down"), &["part"]).expect("valid");
        let mut names = Vec::new();
        for c in [
            Box::new(rounds.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(stage_seconds.clone()),
            Box::new(last_confirmed_minute.clone()),
            Box::new(last_current_minute.clone()),
            Box::new(balance_eth.clone()),
            Box::new(clock_skew_ms.clone()),
            Box::new(errors.clone()),
            Box::new(replacements.clone()),
            Box::new(quorum.clone()),
            Box::new(reports_received.clone()),
            Box::new(reports_dropped.clone()),
            Box::new(disagreements.clone()),
            Box::new(failovers.clone()),
            Box::new(clock_jumps.clone()),
            Box::new(up.clone()),
        ] {
            // The registry adds its prefix when it renders.
            names.extend(c.desc().iter().map(|d| format!("{PREFIX}_{}", d.fq_name)));
            registry.register(c).expect("unique metric");
        }
        Arc::new(Metrics {
            registry,
            rounds,
            stage_seconds,
            last_confirmed_minute,
            last_current_minute,
            balance_eth,
            clock_skew_ms,
            errors,
            replacements,
            quorum,
            reports_received,
            reports_dropped,
            disagreements,
            failovers,
            clock_jumps,
            up,
            names,
            parts: Mutex::new(BTreeMap::new()),
            heartbeat_ms: AtomicI64::new(now_ms()),
            stuck_after_ms,
        })
    }

    /// The loop is alive.
    pub fn beat(&self) {
        self.heartbeat_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf).expect("text encoding");
        String::from_utf8(buf).unwrap_or_default()
    }

    /// Records the outcome of a call to `part`: it is up, or down with the reason. A change is
    /// logged once (not every failed call).
    pub fn mark(&self, part: Part, outcome: Result<(), String>) {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        let up = outcome.is_ok();
        let reason = outcome.err().map(|r| veriregime_core::redact::scrub(&r));
        let changed = parts.get(&part).is_none_or(|p| p.up != up);
        if changed {
            if up {
                if parts.contains_key(&part) {
                    tracing::info!(part = part.as_str(), "the {} answers again", part.as_str());
                }
            } else {
                tracing::warn!(part = part.as_str(), reason = reason.as_deref().unwrap_or(""), "the {} is down", part.as_str());
            }
            parts.insert(part, PartState { up, since_ms: now_ms(), reason });
        } else if let Some(p) = parts.get_mut(&part) {
            p.reason = reason;
        }
        self.up.with_label_values(&[part.as_str()]).set(up as i64);
    }

    /// The body of `/health` and whether it is healthy: the loop's heartbeat, and each part up or
    /// down since when (and why).
    pub fn health_report(&self) -> (bool, serde_json::Value) {
        let age = now_ms() - self.heartbeat_ms.load(Ordering::Relaxed);
        let alive = age <= self.stuck_after_ms;
        let parts = self.parts.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let down: Vec<&str> = parts.iter().filter(|(_, p)| !p.up).map(|(k, _)| k.as_str()).collect();
        let status = if !alive { "stuck" } else if !down.is_empty() { "down" } else { "ok" };
        let mut v = serde_json::json!({"status": status, "seconds_since_heartbeat": age as f64 / 1000.0, "down": down});
        for (k, p) in &parts {
            let since = chrono::DateTime::from_timestamp_millis(p.since_ms).map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
            v[k.as_str()] = serde_json::json!({"up": p.up, "since": since, "for_s": (now_ms() - p.since_ms) as f64 / 1000.0, "reason": p.reason});
        }
        (alive && down.is_empty(), v)
    }
}

/// Serves `/metrics` and `/health` on `addr` until the process ends; returns the bound address.
pub async fn serve(metrics: Arc<Metrics>, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr} for metrics: {e}"))?;
    let bound = listener.local_addr()?;
    let m1 = metrics.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let m = m1.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], m.render()).into_response() }
            }),
        )
        .route(
            "/health",
            axum::routing::get(move || {
                let m = metrics.clone();
                async move {
                    let (ok, body) = m.health_report();
                    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
                    (code, axum::Json(body)).into_response()
                }
            }),
        );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("metrics server stopped: {e}");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_rendered_families() {
        let m = Metrics::new(60_000);
        // A vector's family is rendered once it has a child.
        m.rounds.with_label_values(&["BTCUSDT", "confirmed"]).inc();
        m.stage_seconds.with_label_values(&["prove"]).observe(1.0);
        m.last_confirmed_minute.with_label_values(&["BTCUSDT"]).set(1);
        m.last_current_minute.with_label_values(&["BTCUSDT"]).set(1);
        for v in [&m.errors, &m.replacements, &m.reports_received, &m.reports_dropped, &m.disagreements, &m.failovers] {
            v.with_label_values(&["x"]).inc();
        }
        m.quorum.with_label_values(&["BTCUSDT", "reached"]).inc();
        m.up.with_label_values(&["chain"]).set(1);
        let text = m.render();
        let rendered: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).map(|l| l.split(' ').next().unwrap()).collect();
        let mut names = m.names.clone();
        names.sort();
        let mut rendered: Vec<String> = rendered.into_iter().map(String::from).collect();
        rendered.sort();
        assert_eq!(names, rendered);
    }

    #[test]
    fn health_names_what_is_down_and_since_when() {
        let m = Metrics::new(60_000);
        m.mark(Part::Exchange, Ok(()));
        m.mark(Part::Chain, Ok(()));
        let (ok, v) = m.health_report();
        assert!(ok, "{v}");
        assert_eq!(v["status"], "ok");
        m.mark(Part::Chain, Err("getCommittee: error sending request for url (http://u:pw1234@h/): operation timed out".into()));
        let (ok, v) = m.health_report();
        assert!(!ok);
        assert_eq!(v["status"], "down");
        assert_eq!(v["down"], serde_json::json!(["chain"]));
        assert_eq!(v["chain"]["up"], false);
        assert!(v["chain"]["since"].as_str().unwrap().ends_with('Z'), "{v}");
        let reason = v["chain"]["reason"].as_str().unwrap();
        assert!(reason.contains("timed out") && !reason.contains("pw1234"), "{reason}");
        let since = v["chain"]["since"].clone();
        std::thread::sleep(std::time::Duration::from_millis(5));
        m.mark(Part::Chain, Err("again".into()));
        assert_eq!(m.health_report().1["chain"]["since"], since, "down since the first failure");
        m.mark(Part::Chain, Ok(()));
        assert!(m.health_report().0);
        assert!(m.render().contains("veriregime_up{part=\"chain\"} 1"));
    }
}

//! Prometheus metrics (`GET /metrics`, text format) and a health endpoint (`GET /health`: 200 when
//! the round loop is alive, 503 when it has not moved for too long).

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub struct Metrics {
    pub registry: Registry,
    /// Rounds finished, by feed and outcome (confirmed, skipped).
    pub rounds: IntCounterVec,
    /// Seconds per stage (fetch, infer, prove, submit, confirm, total).
    pub stage_seconds: HistogramVec,
    /// Decision minute (unix seconds) of the latest confirmed round, per feed.
    pub last_confirmed_minute: IntGaugeVec,
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
        let registry = Registry::new_custom(Some("veriregime".into()), None).expect("valid prefix");
        let rounds = IntCounterVec::new(Opts::new("rounds_total", "Rounds finished, by feed and outcome"), &["feed", "outcome"]).expect("valid");
        let stage_seconds = HistogramVec::new(
            HistogramOpts::new("stage_seconds", "Seconds per round stage")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 32.0, 60.0, 120.0]),
            &["stage"],
        )
        .expect("valid");
        let last_confirmed_minute =
            IntGaugeVec::new(Opts::new("last_confirmed_minute_seconds", "Decision minute of the latest confirmed round"), &["feed"]).expect("valid");
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
        for c in [
            Box::new(rounds.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(stage_seconds.clone()),
            Box::new(last_confirmed_minute.clone()),
            Box::new(clock_skew_ms.clone()),
            Box::new(errors.clone()),
            Box::new(replacements.clone()),
            Box::new(quorum.clone()),
            Box::new(reports_received.clone()),
            Box::new(reports_dropped.clone()),
            Box::new(disagreements.clone()),
            Box::new(failovers.clone()),
        ] {
            registry.register(c).expect("unique metric");
        }
        Arc::new(Metrics {
            registry,
            rounds,
            stage_seconds,
            last_confirmed_minute,
            clock_skew_ms,
            errors,
            replacements,
            quorum,
            reports_received,
            reports_dropped,
            disagreements,
            failovers,
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

    /// (healthy, seconds since the last heartbeat)
    pub fn health(&self) -> (bool, f64) {
        let age = now_ms() - self.heartbeat_ms.load(Ordering::Relaxed);
        (age <= self.stuck_after_ms, age as f64 / 1000.0)
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
                    let (ok, age) = m.health();
                    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
                    (code, axum::Json(serde_json::json!({"status": if ok {"ok"} else {"stuck"}, "seconds_since_heartbeat": age}))).into_response()
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

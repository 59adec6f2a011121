//! `oracle status`: recent rounds of the daemon's database and stage latencies of confirmed ones.

use super::config::Config;
use super::store::{RoundRow, Stage, Store};
use veriregime_core::data::fmt_minute;
use veriregime_core::features::CLASS_NAMES;

/// Recent rounds, counts per stage and latency quantiles (seconds) per stage of confirmed rounds.
pub struct Status {
    pub recent: Vec<RoundRow>,
    pub counts: std::collections::BTreeMap<String, u64>,
    pub latency: serde_json::Map<String, serde_json::Value>,
}

impl Status {
    /// Reads the database of `cfg` (read-only): its `last` rounds and every feed's confirmed rounds.
    pub fn read(cfg: &Config, last: usize) -> anyhow::Result<Status> {
        let store = Store::open_read_only(&cfg.daemon.db)?;
        let recent = store.recent(last)?;
        let counts = store.counts()?;
        let mut all = Vec::new();
        for f in &cfg.feeds {
            all.extend(store.all(&f.symbol.to_uppercase())?);
        }
        let confirmed: Vec<_> = all.iter().filter(|r| r.stage == Stage::Confirmed).collect();
        let mut latency = serde_json::Map::new();
        for stage in ["after_close", "fetch", "infer", "prove", "submit", "confirm", "total"] {
            let mut v: Vec<f64> = confirmed.iter().filter_map(|r| r.timings().get(stage).copied()).collect();
            if v.is_empty() {
                continue;
            }
            v.sort_by(f64::total_cmp);
            let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
            latency.insert(stage.into(), serde_json::json!({"n": v.len(), "p50": q(0.5), "p95": q(0.95), "max": v[v.len() - 1]}));
        }
        Ok(Status { recent, counts, latency })
    }

    /// The JSON `oracle status --json` prints: counts, latencies and the recent rounds with their
    /// minute in UTC, signal by name, logits, timings and transaction hashes (typed values, no
    /// JSON inside strings).
    pub fn to_json(&self) -> serde_json::Value {
        let rounds: Vec<_> = self
            .recent
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["minute_utc"] = fmt_minute(r.minute).into();
                v["timings"] = serde_json::to_value(r.timings()).unwrap_or_default();
                v["txs"] = serde_json::to_value(r.tx_hashes()).unwrap_or_default();
                v["signers"] = serde_json::to_value(r.signer_list()).unwrap_or_default();
                v["disagreement"] = r.disagreement.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
                // Typed: the class by name (the oracle's SELL/HOLD/BUY) and the logits as numbers.
                v["signal"] = r.signal.and_then(|s| CLASS_NAMES.get(s as usize)).map(|n| serde_json::Value::from(*n)).unwrap_or_default();
                v["logits"] = r.logits_as::<Vec<f64>>().ok().flatten().map(serde_json::Value::from).unwrap_or_default();
                v
            })
            .collect();
        serde_json::json!({"counts": self.counts, "latency_s": self.latency, "rounds": rounds})
    }
}

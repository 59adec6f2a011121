//! What publishing on change and heartbeat ([`veriregime_core::publish`]) costs a feed, replayed
//! on real minutes: the model's signal at every decision minute of a range, the node's rule
//! deciding which are transmitted, against transmitting every one.
//!
//! Gas is counted per transmission (every submission costs the same: one proof, the committee's
//! signatures, two fresh storage slots), so a day's gas is its transmissions times
//! [`PublishingReport::gas_per_transmission`], the measured cost of one submission.

use super::Replay;
use serde::{Deserialize, Serialize};
use veriregime_core::data::fmt_minute;
use veriregime_core::publish::{PublishRule, Reason};

/// Milliseconds in a day.
const DAY_MS: f64 = 86_400_000.0;

/// One heartbeat's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatRow {
    pub heartbeat_minutes: u64,
    pub transmissions: u64,
    /// Of which: the first round, a changed signal, an unchanged one for the heartbeat.
    pub first: u64,
    pub changed: u64,
    pub heartbeat: u64,
    pub transmissions_per_day: f64,
    pub gas_per_day: f64,
    /// Transmissions over those of publishing every decision minute (equally gas over gas).
    pub share_of_every_minute: f64,
}

/// The replay of one range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishingReport {
    pub model: String,
    pub symbol: String,
    pub from: String,
    pub to: String,
    /// Length of the range in days (candle gaps included).
    pub days: f64,
    /// Decision minutes with a window (every one is a round when publishing every minute).
    pub rounds: u64,
    pub every_minute_per_day: f64,
    /// Decision minutes whose signal differs from the minute's before (gaps do not count).
    pub signal_changes_per_day: f64,
    pub gas_per_transmission: u64,
    pub every_minute_gas_per_day: f64,
    pub heartbeats: Vec<HeartbeatRow>,
}

impl PublishingReport {
    /// The rule at each heartbeat (minutes) over `replay`'s rounds; `to_ms` ends the range.
    pub fn run(
        model: &str,
        symbol: &str,
        replay: &Replay,
        to_ms: i64,
        heartbeat_minutes: &[u64],
        gas_per_transmission: u64,
    ) -> anyhow::Result<PublishingReport> {
        anyhow::ensure!(!replay.rounds.is_empty(), "no rounds to replay");
        anyhow::ensure!(!heartbeat_minutes.is_empty(), "no heartbeat to replay");
        let first_ms = replay.closes[0].0;
        let days = (to_ms - first_ms) as f64 / DAY_MS;
        anyhow::ensure!(days > 0.0, "the range is empty");
        let rounds: Vec<(u64, u8)> = replay.rounds.iter().map(|r| (r.round.minute as u64, r.round.signal)).collect();
        let changes = rounds.windows(2).filter(|w| w[1].0 == w[0].0 + 60 && w[1].1 != w[0].1).count();
        let n = rounds.len() as u64;
        let per_day = |count: u64| count as f64 / days;
        let mut rows = Vec::with_capacity(heartbeat_minutes.len());
        for &m in heartbeat_minutes {
            let rule = PublishRule::new(m * 60)?;
            let sent = rule.replay(rounds.iter().copied());
            let count = |reason: Reason| sent.iter().filter(|(_, r)| *r == reason).count() as u64;
            let t = sent.len() as u64;
            rows.push(HeartbeatRow {
                heartbeat_minutes: m,
                transmissions: t,
                first: count(Reason::First),
                changed: count(Reason::Changed),
                heartbeat: count(Reason::Heartbeat),
                transmissions_per_day: per_day(t),
                gas_per_day: per_day(t) * gas_per_transmission as f64,
                share_of_every_minute: t as f64 / n as f64,
            });
        }
        Ok(PublishingReport {
            model: model.into(),
            symbol: symbol.into(),
            from: fmt_minute(first_ms),
            to: fmt_minute(to_ms),
            days,
            rounds: n,
            every_minute_per_day: per_day(n),
            signal_changes_per_day: per_day(changes as u64),
            gas_per_transmission,
            every_minute_gas_per_day: per_day(n) * gas_per_transmission as f64,
            heartbeats: rows,
        })
    }

    /// A table for a terminal.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} on {} {}..{} ({:.1} days, {} decision minutes): every minute {:.0} transmissions/day, {:.1} M gas/day at {} gas each; the signal changes {:.1} times/day",
            self.model,
            self.symbol,
            self.from,
            self.to,
            self.days,
            self.rounds,
            self.every_minute_per_day,
            self.every_minute_gas_per_day / 1e6,
            self.gas_per_transmission,
            self.signal_changes_per_day
        );
        let _ = writeln!(
            s,
            "{:>10} {:>14} {:>9} {:>10} {:>10} {:>12} {:>9}",
            "heartbeat", "transmissions", "per day", "changed", "heartbeat", "M gas/day", "share"
        );
        for r in &self.heartbeats {
            let _ = writeln!(
                s,
                "{:>6} min {:>14} {:>9.1} {:>10} {:>10} {:>12.2} {:>8.2}%",
                r.heartbeat_minutes,
                r.transmissions,
                r.transmissions_per_day,
                r.changed,
                r.heartbeat,
                r.gas_per_day / 1e6,
                100.0 * r.share_of_every_minute
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::RoundAt;
    use veriregime_core::policy::Round;

    fn replay_of(signals: &[(i64, u8)]) -> Replay {
        let closes = signals.iter().map(|(m, _)| (m * 1000, 100.0)).collect();
        let rounds = signals
            .iter()
            .enumerate()
            .map(|(at, (m, s))| {
                let mut logits = [0.0; 3];
                logits[*s as usize] = 1.0;
                RoundAt { at, round: Round::from_logits(*m, logits), fwd_return_pct: None }
            })
            .collect();
        Replay { closes, rounds }
    }

    #[test]
    fn counts_changes_and_heartbeats_over_a_day() {
        let t0 = 1_704_067_200; // 2024-01-01 00:00 UTC
                                // A day of minutes: HOLD, with BUY from minute 600 to 659; minute 900 missing (a gap).
        let signals: Vec<(i64, u8)> = (0..1440).filter(|i| *i != 900).map(|i| (t0 + 60 * i, if (600..660).contains(&i) { 2 } else { 1 })).collect();
        let replay = replay_of(&signals);
        let report = PublishingReport::run("m", "BTCUSDT", &replay, (t0 + 86_400) * 1000, &[60, 1440], 500_000).unwrap();
        assert_eq!(report.rounds, 1439);
        assert!((report.days - 1.0).abs() < 1e-12);
        assert!((report.signal_changes_per_day - 2.0).abs() < 1e-12);
        let hourly = &report.heartbeats[0];
        assert_eq!((hourly.first, hourly.changed), (1, 2));
        // From minute 0 a heartbeat every 60 minutes up to 600 (9: 60..540), none in the BUY
        // hour, then from 660: 720, 780, 840, 901 (900 is a gap), and every 60 to 1381 (12).
        assert_eq!(hourly.heartbeat, 9 + 12);
        assert_eq!(hourly.transmissions, 1 + 2 + 21);
        assert!((hourly.gas_per_day - 24.0 * 500_000.0).abs() < 1e-6);
        let daily = &report.heartbeats[1];
        assert_eq!((daily.transmissions, daily.heartbeat), (3, 0));
        assert!(report.text().contains("60 min"));
    }
}

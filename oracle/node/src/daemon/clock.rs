//! The exchange's clock, guarded. Rounds follow the exchange's clock (`GET /api/v3/time`), but
//! one answer must not be able to move the node: a single answer ten minutes (or a year) ahead
//! once wrote every "future" minute as skipped and left the node idle.
//!
//! Each answer is bounded against
//! - the local clock's progress since the previous answer taken (monotonic, so a stepped wall
//!   clock does not count): further off than `exchange.max_clock_jump_ms` is a jump;
//! - the exchange's own candles: a jump is followed only when the latest candle the exchange
//!   serves agrees with it (its clock really moved, or the local one was suspended); else it is
//!   refused, logged as "exchange clock jumped", counted (`veriregime_exchange_clock_jumps_total`)
//!   and the guarded clock goes on from the previous answer by the local clock's progress;
//! - at start, with no answer taken yet, the local wall clock (within
//!   `exchange.max_clock_skew_ms`) and the candles: two identical lies in a row are not followed.
//!
//! A round only starts when the exchange's candles show its decision candle closed (the candle
//! after it has opened) as well as the guarded clock, so a clock a few seconds ahead of its own
//! candles cannot have an open candle proven; before proving, the decision candle's close is
//! checked against the guarded clock once more. (The oracle contract checks the chain's time in
//! turn: it refuses a decision minute after its block's timestamp.) Minutes missed while the
//! daemon was down are recorded at most [`MAX_MISSED_PER_TICK`] per tick, and only minutes that
//! have come by the guarded clock and the candles.

use super::metrics::Metrics;
use crate::exchange::{Exchange, ExchangeError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use veriregime_core::data::{fmt_minute, Candle, MINUTE_MS};

/// Most skipped rows written for missed minutes in one tick (a day of 1-minute rounds); the rest
/// follow on the next ticks.
pub const MAX_MISSED_PER_TICK: usize = 1440;

/// Why the exchange's clock gave no time.
#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// Nothing taken yet and this answer is not believable.
    #[error("the exchange's clock is not taken: {0}")]
    Untrusted(String),
}

/// What the guard makes of one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Taken: it agrees with the local clock's progress (at start: with the local clock and the
    /// candles).
    Taken,
    /// Taken although it moved by this much: the exchange's latest candle agrees with it.
    Followed { moved_ms: i64 },
    /// Refused: it jumped by this much and the candles do not agree.
    Jumped { by_ms: i64 },
    /// Refused at start (nothing taken yet), with the reason.
    Untrusted(String),
}

/// The verdict on `answer` (exchange ms), given the time the guard expects (`None` before any
/// answer was taken), the local wall clock `wall_ms`, and the open time of the exchange's latest
/// candle (`None`: not known).
pub fn verdict(expected: Option<i64>, answer: i64, wall_ms: i64, latest_open: Option<i64>, max_jump_ms: i64, max_start_skew_ms: i64) -> Verdict {
    // The candle in progress opened in the answer's minute (or the one before, at the turn of a
    // minute), give or take the tolerance.
    let agrees = |t: i64| latest_open.is_some_and(|l| t >= l - max_jump_ms && t <= l + MINUTE_MS + max_jump_ms);
    match expected {
        Some(e) => {
            let off = answer - e;
            if off.abs() <= max_jump_ms {
                Verdict::Taken
            } else if agrees(answer) {
                Verdict::Followed { moved_ms: off }
            } else {
                Verdict::Jumped { by_ms: off }
            }
        }
        None => {
            let skew = answer - wall_ms;
            if skew.abs() > max_start_skew_ms {
                Verdict::Untrusted(format!(
                    "{} UTC is {skew} ms off the local clock, more than exchange.max_clock_skew_ms ({max_start_skew_ms})",
                    fmt_minute(answer)
                ))
            } else {
                match latest_open {
                    None => Verdict::Untrusted("its latest candle could not be read to confirm it".into()),
                    Some(l) if !agrees(answer) => Verdict::Untrusted(format!(
                        "{} UTC disagrees with its own latest candle, opened at {} UTC",
                        fmt_minute(answer),
                        fmt_minute(l)
                    )),
                    Some(_) => Verdict::Taken,
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    exchange_ms: i64,
    at: Instant,
}

#[derive(Debug, Default)]
struct State {
    anchor: Option<Anchor>,
    /// Answers refused in a row (logged at the first and every 60th).
    refused: u64,
}

/// The guarded exchange clock of a daemon.
pub struct ClockGuard {
    max_jump_ms: i64,
    max_start_skew_ms: i64,
    metrics: Arc<Metrics>,
    state: Mutex<State>,
}

impl ClockGuard {
    pub fn new(max_jump_ms: u64, max_start_skew_ms: u64, metrics: Arc<Metrics>) -> ClockGuard {
        ClockGuard { max_jump_ms: max_jump_ms as i64, max_start_skew_ms: max_start_skew_ms as i64, metrics, state: Mutex::default() }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expected(&self, at: Instant) -> Option<i64> {
        self.state().anchor.map(|a| a.exchange_ms + at.saturating_duration_since(a.at).as_millis() as i64)
    }

    /// The guarded clock now: the last answer taken, advanced by the local clock's progress.
    /// `None` before any answer was taken.
    pub fn now(&self) -> Option<i64> {
        self.expected(Instant::now())
    }

    /// Asks the exchange's clock and returns the guarded time: the answer when it is taken, else
    /// (a jump) the previous answer advanced by the local clock. `symbol`'s latest candle is
    /// asked for when the answer needs confirming (at start, after a jump).
    pub async fn read(&self, exchange: &Exchange, symbol: &str) -> Result<i64, ClockError> {
        let answer = exchange.server_time().await?;
        let at = Instant::now();
        let wall = chrono::Utc::now().timestamp_millis();
        let expected = self.expected(at);
        let needs_candles = expected.is_none_or(|e| (answer - e).abs() > self.max_jump_ms);
        let latest = if needs_candles { exchange.latest_open(symbol).await.ok() } else { None };
        let v = verdict(expected, answer, wall, latest, self.max_jump_ms, self.max_start_skew_ms);
        self.apply(v, answer, at, expected)
    }

    /// Records a verdict: takes the answer, or logs and counts the refusal.
    fn apply(&self, v: Verdict, answer: i64, at: Instant, expected: Option<i64>) -> Result<i64, ClockError> {
        let mut st = self.state();
        match v {
            Verdict::Taken | Verdict::Followed { .. } => {
                if let Verdict::Followed { moved_ms } = v {
                    tracing::info!(moved_ms, "exchange clock moved by {moved_ms} ms against the local clock; its own latest candle agrees: following it");
                }
                if st.refused > 0 {
                    tracing::info!(refused = st.refused, "exchange clock answers agree again");
                }
                st.anchor = Some(Anchor { exchange_ms: answer, at });
                st.refused = 0;
                Ok(answer)
            }
            Verdict::Jumped { by_ms } => {
                st.refused += 1;
                self.metrics.clock_jumps.inc();
                let e = expected.expect("a jump has an expected time");
                if st.refused % 60 == 1 {
                    tracing::warn!(
                        by_ms,
                        answer = %fmt_minute(answer),
                        guarded = %fmt_minute(e),
                        refused_in_a_row = st.refused,
                        "exchange clock jumped by {by_ms} ms against the local clock's progress, and its candles do not agree: the answer is refused; rounds follow the guarded clock"
                    );
                }
                Ok(e)
            }
            Verdict::Untrusted(why) => {
                st.refused += 1;
                self.metrics.clock_jumps.inc();
                if st.refused % 60 == 1 {
                    tracing::warn!(refused_in_a_row = st.refused, "exchange clock at start: {why}; not taken, asking again");
                }
                Err(ClockError::Untrusted(why))
            }
        }
    }

    /// [`Self::read`] until an answer is taken (the exchange down or its clock not believable at
    /// start: asked again every `poll`); `None` when shutdown is asked for first.
    pub async fn read_until_taken(&self, exchange: &Exchange, symbol: &str, poll: Duration, shutdown: &mut watch::Receiver<bool>) -> Option<i64> {
        loop {
            match self.read(exchange, symbol).await {
                Ok(t) => return Some(t),
                Err(ClockError::Exchange(e)) => tracing::warn!("exchange clock: {e}"),
                Err(ClockError::Untrusted(_)) => {}
            }
            if *shutdown.borrow() {
                return None;
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return None,
            }
        }
    }
}

/// The latest decision minute (multiple of `step_ms`) not after `due` whose candle has closed by
/// the exchange's own candles: the candle after it has opened. `None` when they cannot be read.
pub async fn confirmed_due(exchange: &Exchange, symbol: &str, due: i64, step_ms: i64) -> Option<i64> {
    match exchange.latest_open(symbol).await {
        Ok(latest) => {
            let by_candles = (latest - MINUTE_MS).div_euclid(step_ms) * step_ms;
            if by_candles < due {
                tracing::debug!(feed = symbol, due = %fmt_minute(due), latest_candle = %fmt_minute(latest), "the exchange's candles have not yet closed the due minute");
            }
            Some(due.min(by_candles))
        }
        Err(e) => {
            tracing::warn!(feed = symbol, "cannot confirm the due minute with the exchange's candles: {e}");
            None
        }
    }
}

/// The minutes after `last` and before `due` (every `step_ms`), at most [`MAX_MISSED_PER_TICK`];
/// `true` when more remain for the next tick.
pub fn missed_minutes(last: i64, due: i64, step_ms: i64) -> (Vec<i64>, bool) {
    let all = ((due - last) / step_ms - 1).max(0) as usize;
    let n = all.min(MAX_MISSED_PER_TICK);
    ((1..=n as i64).map(|k| last + k * step_ms).collect(), all > n)
}

/// A candle still open is never proven: the decision candle must have closed by the guarded
/// exchange clock `now` (`None`: no clock taken).
pub fn ensure_closed(decision: &Candle, now: Option<i64>) -> Result<(), String> {
    match now {
        Some(t) if decision.close_time < t => Ok(()),
        Some(t) => Err(format!(
            "the decision candle {} UTC is still open by the guarded exchange clock ({} ms before its close): not proven",
            fmt_minute(decision.open_time),
            decision.close_time - t + 1
        )),
        None => Err(format!("no exchange clock taken to check that the decision candle {} UTC has closed", fmt_minute(decision.open_time))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::fake::{FakeConfig, FakeExchange, Fault};
    use veriregime_core::data::{synth_candles, SynthConfig};
    use veriregime_core::http::RetryPolicy;

    const M: i64 = MINUTE_MS;
    const YEAR: i64 = 365 * 86_400_000;

    #[test]
    fn verdicts() {
        let (j, s) = (5_000, 2_000);
        let t = 1_000 * M + 30_000;
        // Consistent with the local clock's progress.
        assert_eq!(verdict(Some(t), t + 4_000, 0, None, j, s), Verdict::Taken);
        // A jump the candles do not back: +10 min, +1 year, -10 min.
        for off in [10 * M, YEAR, -10 * M] {
            assert_eq!(verdict(Some(t), t + off, 0, Some(1_000 * M), j, s), Verdict::Jumped { by_ms: off });
            assert_eq!(verdict(Some(t), t + off, 0, None, j, s), Verdict::Jumped { by_ms: off });
        }
        // The clock really moved (the local one was suspended): the candles agree.
        assert_eq!(verdict(Some(t), t + 10 * M, 0, Some(1_010 * M), j, s), Verdict::Followed { moved_ms: 10 * M });
        // At start: the local clock and the candles must agree.
        assert_eq!(verdict(None, t, t - 1_000, Some(1_000 * M), j, s), Verdict::Taken);
        assert!(matches!(verdict(None, t + YEAR, t, Some(1_000 * M), j, s), Verdict::Untrusted(w) if w.contains("off the local clock")));
        assert!(matches!(verdict(None, t + 10 * M, t + 10 * M, Some(1_000 * M), j, s), Verdict::Untrusted(w) if w.contains("disagrees with its own latest candle")));
        assert!(matches!(verdict(None, t, t, None, j, s), Verdict::Untrusted(_)));
    }

    #[test]
    fn missed_minutes_are_capped_and_never_reach_due() {
        assert_eq!(missed_minutes(0, 4 * M, M), (vec![M, 2 * M, 3 * M], false));
        assert_eq!(missed_minutes(0, M, M), (vec![], false));
        assert_eq!(missed_minutes(5 * M, M, M), (vec![], false));
        let (m, more) = missed_minutes(0, 3_000 * M, M);
        assert_eq!((m.len(), m[0], *m.last().unwrap(), more), (MAX_MISSED_PER_TICK, M, 1_440 * M, true));
        let (m, more) = missed_minutes(0, 30 * M, 5 * M);
        assert_eq!((m, more), (vec![5 * M, 10 * M, 15 * M, 20 * M, 25 * M], false));
    }

    #[test]
    fn an_open_candle_is_refused() {
        let c = Candle { open_time: 10 * M, open: 1.0, high: 1.0, low: 1.0, close: 1.0, volume: 1.0, close_time: 11 * M - 1, trades: 1 };
        assert!(ensure_closed(&c, Some(11 * M)).is_ok());
        assert!(ensure_closed(&c, Some(11 * M - 1)).unwrap_err().contains("still open"));
        assert!(ensure_closed(&c, None).is_err());
    }

    /// The guard and the fake, whose clock starts `before_ms` before the close of the candle at
    /// the local clock's minute (the guard allows 2 minutes of skew at start).
    async fn guard_and_fake(before_ms: i64) -> (ClockGuard, FakeExchange, Exchange, Arc<Metrics>) {
        let minute = chrono::Utc::now().timestamp_millis() / M * M;
        let candles = synth_candles(&SynthConfig { start: minute - 400 * M, minutes: 500, ..Default::default() });
        let mut cfg = FakeConfig::from_candles("BTCUSDT", candles, 400, 1.0);
        cfg.start_ms = minute + M - before_ms;
        let fake = FakeExchange::start(cfg).await.unwrap();
        let retry = RetryPolicy { max_attempts: 2, base_backoff: Duration::from_millis(10), max_wait: Duration::from_secs(1) };
        let ex = Exchange::new(&fake.url, Duration::from_millis(1000), retry).unwrap();
        let metrics = Metrics::new(60_000);
        (ClockGuard::new(5_000, 120_000, metrics.clone()), fake, ex, metrics)
    }

    #[tokio::test]
    async fn one_lying_answer_moves_nothing_and_two_at_start_are_not_followed() {
        let (g, fake, ex, metrics) = guard_and_fake(30_000).await;
        // Two identical lies at start: neither is taken.
        fake.inject("/api/v3/time", [Fault::ClockOffset(YEAR), Fault::ClockOffset(YEAR)]);
        assert!(matches!(g.read(&ex, "BTCUSDT").await, Err(ClockError::Untrusted(_))));
        assert!(matches!(g.read(&ex, "BTCUSDT").await, Err(ClockError::Untrusted(_))));
        assert_eq!(g.now(), None);
        let t = g.read(&ex, "BTCUSDT").await.unwrap();
        assert!((t - fake.now_ms()).abs() < 1_000);
        // One answer 10 minutes ahead, one a year ahead: the guarded clock stays true.
        for off in [10 * M, YEAR, -10 * M] {
            fake.inject("/api/v3/time", [Fault::ClockOffset(off)]);
            let t = g.read(&ex, "BTCUSDT").await.unwrap();
            assert!((t - fake.now_ms()).abs() < 1_000, "offset {off}: guarded {t}, true {}", fake.now_ms());
        }
        assert_eq!(metrics.clock_jumps.get(), 2 + 3);
        // A lie that persists: the guarded clock goes on by the local clock.
        fake.set_clock_offset(10 * M);
        for _ in 0..3 {
            let t = g.read(&ex, "BTCUSDT").await.unwrap();
            assert!((t - fake.now_ms()).abs() < 1_000);
        }
        fake.set_clock_offset(0);
        let t = g.read(&ex, "BTCUSDT").await.unwrap();
        assert!((t - fake.now_ms()).abs() < 1_000);
        assert!(metrics.render().contains("veriregime_exchange_clock_jumps_total 8"), "{}", metrics.render());
    }

    #[tokio::test]
    async fn a_clock_ahead_of_its_candles_does_not_close_a_minute() {
        // The true clock 2 s before the close of the current candle; the exchange's 4 s ahead.
        let (g, fake, ex, _) = guard_and_fake(2_000).await;
        fake.set_clock_offset(4_000);
        let t = g.read(&ex, "BTCUSDT").await.unwrap();
        let current = (fake.now_ms() / M) * M;
        assert!(t > current + M, "the lying clock is past the candle's close");
        // By that clock the current minute is due; the candles have not closed it.
        let by_clock = crate::daemon::latest_due(t, M, 0);
        assert_eq!(by_clock, current);
        assert_eq!(confirmed_due(&ex, "BTCUSDT", by_clock, M).await, Some(current - M));
    }
}

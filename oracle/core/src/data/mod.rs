//! Binance spot kline archives: reading, validation and gap detection.
//!
//! The archive layout is Binance Vision's own, below a root folder:
//! `ROOT/spot/daily/klines/SYMBOL/1m/SYMBOL-1m-YYYY-MM-DD.zip` and
//! `ROOT/spot/monthly/klines/SYMBOL/1m/SYMBOL-1m-YYYY-MM.zip`, each holding one headerless CSV of
//! 12 columns (`open_time, open, high, low, close, volume, close_time, quote_asset_volume,
//! number_of_trades, taker_buy_base_volume, taker_buy_quote_volume, ignore`). Times are epoch
//! milliseconds, or microseconds in archives from 2025 on; both are accepted.
//!
//! Every row is checked (minute alignment, OHLC sanity, prices in (0, 1e12], volume in [0, 1e15],
//! a trade count that is not negative, the file's own date); a bad row is an error naming the file,
//! the line, the minute and the field. A file must hold exactly one CSV with at least one row.
//! Gaps are reported, never filled.

mod archive;
mod synth;

pub mod fetch;
pub use archive::{read_csv, Archive, FileKind};
pub use synth::{synth_candles, write_daily_archive, SynthConfig};

use serde::Serialize;
use std::path::PathBuf;

/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60_000;

/// One closed 1-minute candle. Times are epoch milliseconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Candle {
    pub open_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub close_time: i64,
    pub trades: u64,
}

/// The largest volume a candle may claim (base asset units per minute): far above any real
/// market's (BTCUSDT's busiest minute is a few thousand BTC, the most-traded meme coins ~1e12
/// tokens), far below where a moving average's arithmetic loses the values next to it.
pub const MAX_VOLUME: f64 = 1e15;
/// The largest price a candle may claim.
pub const MAX_PRICE: f64 = 1e12;

impl Candle {
    /// Checks one candle on its own: minute alignment, close time, OHLC order, prices in
    /// (0, [`MAX_PRICE`]], volume in [0, [`MAX_VOLUME`]]. Returns why it is bad, naming the minute
    /// and the field.
    pub fn check(&self) -> Result<(), String> {
        self.check_fields().map_err(|e| format!("minute {} UTC: {e}", fmt_minute(self.open_time)))
    }

    fn check_fields(&self) -> Result<(), String> {
        if self.open_time % MINUTE_MS != 0 {
            return Err(format!("open_time {} is not on a minute boundary", self.open_time));
        }
        // Usually open_time + 59999; a candle cut short by an exchange outage closes earlier
        // (2023-03-24 12:39 in the real archive).
        if self.close_time <= self.open_time || self.close_time > self.open_time + MINUTE_MS - 1 {
            return Err(format!(
                "close_time {} is not within the minute (open_time {})",
                self.close_time, self.open_time
            ));
        }
        for (name, v) in [("open", self.open), ("high", self.high), ("low", self.low), ("close", self.close)] {
            if !v.is_finite() || v <= 0.0 {
                return Err(format!("{name} price {v} is not a positive number"));
            }
            if v > MAX_PRICE {
                return Err(format!("{name} price {v} is above the largest price a candle may claim ({MAX_PRICE:e})"));
            }
        }
        if !self.volume.is_finite() || self.volume < 0.0 {
            return Err(format!("volume {} is negative or not finite", self.volume));
        }
        if self.volume > MAX_VOLUME {
            return Err(format!("volume {} is above the largest volume a candle may claim ({MAX_VOLUME:e})", self.volume));
        }
        if self.low > self.high {
            return Err(format!("low {} is above high {}", self.low, self.high));
        }
        if self.low > self.open.min(self.close) || self.high < self.open.max(self.close) {
            return Err(format!(
                "open {} / close {} lie outside [low {}, high {}]",
                self.open, self.close, self.low, self.high
            ));
        }
        Ok(())
    }
}

/// A trade count as the archive and the REST API give it: a negative one is an error, not zero.
pub fn trade_count(v: i64) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("number_of_trades {v} is negative"))
}

/// A run of missing minutes between two candles that are present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Open time of the first missing minute.
    pub from: i64,
    /// Open time of the last missing minute.
    pub to: i64,
    pub missing_minutes: i64,
}

/// Errors of the archive reader. Each names the file (and line) at fault.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a readable zip archive: {reason}")]
    Zip { path: PathBuf, reason: String },
    #[error("{path}, line {line}: {reason}")]
    Row { path: PathBuf, line: u64, reason: String },
    #[error("{path}, line {line}: minute {open_time} is out of order or duplicated (previous minute {previous})")]
    Order { path: PathBuf, line: u64, open_time: i64, previous: i64 },
    #[error("no archive files for {symbol} between {from} and {to} under {root}")]
    NoFiles { root: PathBuf, symbol: String, from: String, to: String },
    #[error("{0}")]
    Invalid(String),
}

/// Candles of one symbol over a range, in order, with the gaps between them.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub candles: Vec<Candle>,
    pub gaps: Vec<Gap>,
    /// Archive files read.
    pub files: Vec<PathBuf>,
    /// UTC days in the range for which no file exists.
    pub missing_days: Vec<String>,
}

impl Series {
    /// Builds a series from candles that must already be in strictly increasing minute order;
    /// finds the gaps. `origin` names where the candles came from, for the error.
    pub fn from_candles(candles: Vec<Candle>, origin: &str) -> Result<Self, DataError> {
        let mut gaps = Vec::new();
        for (i, w) in candles.windows(2).enumerate() {
            let (a, b) = (w[0].open_time, w[1].open_time);
            if b <= a {
                return Err(DataError::Invalid(format!(
                    "{origin}: candle {} (open_time {b}) is not after candle {i} (open_time {a})",
                    i + 1
                )));
            }
            if b - a > MINUTE_MS {
                gaps.push(Gap { from: a + MINUTE_MS, to: b - MINUTE_MS, missing_minutes: (b - a) / MINUTE_MS - 1 });
            }
        }
        Ok(Series { candles, gaps, files: Vec::new(), missing_days: Vec::new() })
    }

    /// Contiguous runs (no missing minute inside) as index ranges into `candles`.
    pub fn segments(&self) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..self.candles.len() {
            if self.candles[i].open_time - self.candles[i - 1].open_time != MINUTE_MS {
                out.push(start..i);
                start = i;
            }
        }
        if !self.candles.is_empty() {
            out.push(start..self.candles.len());
        }
        out
    }
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM` UTC.
pub fn fmt_minute(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Parses `YYYY-MM-DD` into the epoch milliseconds of that day's 00:00 UTC.
pub fn parse_day(s: &str) -> Result<i64, DataError> {
    // chrono's %Y takes any number of digits ("24-01-24" would be the year 24): insist on the
    // shape first, so a two-digit year is an error and not a range 2000 years long.
    let b = s.as_bytes();
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(DataError::Invalid(format!("date {s:?} is not YYYY-MM-DD (four-digit year, two-digit month and day)")));
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| DataError::Invalid(format!("date {s:?} is not YYYY-MM-DD: {e}")))?;
    Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(t: i64) -> Candle {
        Candle { open_time: t, open: 1.0, high: 2.0, low: 0.5, close: 1.5, volume: 3.0, close_time: t + MINUTE_MS - 1, trades: 1 }
    }

    #[test]
    fn days_are_strict() {
        assert_eq!(parse_day("2024-01-24").unwrap(), 1_706_054_400_000);
        for bad in ["24-01-24", "2024-1-24", "2024-01-24T00:00", "20240124", "2024-02-30", " 2024-01-24"] {
            let e = parse_day(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn gaps_and_segments() {
        let s = Series::from_candles(vec![c(0), c(MINUTE_MS), c(5 * MINUTE_MS), c(6 * MINUTE_MS)], "t").unwrap();
        assert_eq!(s.gaps, vec![Gap { from: 2 * MINUTE_MS, to: 4 * MINUTE_MS, missing_minutes: 3 }]);
        assert_eq!(s.segments(), vec![0..2, 2..4]);
    }

    #[test]
    fn check_rejects_bad_ohlc() {
        let mut k = c(0);
        k.high = 1.2;
        assert!(k.check().unwrap_err().contains("outside"));
        let mut k = c(0);
        k.close = -1.0;
        assert!(k.check().unwrap_err().contains("positive"));
        let mut k = c(30);
        k.close_time = 30 + MINUTE_MS - 1;
        assert!(k.check().unwrap_err().contains("minute boundary"));
    }

    #[test]
    fn check_bounds_what_a_candle_may_claim() {
        let mut k = c(5 * MINUTE_MS);
        k.volume = 1e20;
        let e = k.check().unwrap_err();
        assert!(e.contains("minute 1970-01-01 00:05 UTC") && e.contains("volume 100000000000000000000 is above"), "{e}");
        k.volume = MAX_VOLUME;
        k.check().unwrap();
        let mut k = c(0);
        k.high = 2e12;
        let e = k.check().unwrap_err();
        assert!(e.contains("high price 2000000000000 is above"), "{e}");
        k.high = f64::INFINITY;
        assert!(k.check().unwrap_err().contains("high price inf is not a positive number"));
        assert!(trade_count(-1).unwrap_err().contains("number_of_trades -1 is negative"));
        assert_eq!(trade_count(7), Ok(7));
    }

    #[test]
    fn out_of_order_is_an_error() {
        assert!(Series::from_candles(vec![c(MINUTE_MS), c(0)], "x").is_err());
    }
}

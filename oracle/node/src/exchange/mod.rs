//! Binance's spot REST API, the parts the oracle needs: server time and 1-minute klines.
//!
//! Every request has a timeout and is retried (5xx, 429/418 honouring `Retry-After`, timeouts,
//! truncated or malformed bodies) with backoff and jitter ([`veriregime_core::http::RetryPolicy`]). Candles
//! are checked with the archive reader's checks ([`Candle::check`], strictly increasing minutes),
//! and a decision window is only ever built from closed candles that are all there. URLs in
//! errors have their credentials masked ([`veriregime_core::redact`]); an observer may be told
//! whether each request reached the exchange (the daemon's `/health`).

pub mod fake;

use veriregime_core::data::{fmt_minute, Candle, Series, MINUTE_MS};
use veriregime_core::features::LOOKBACK;
use veriregime_core::http::{retry_after, retryable, RetryPolicy};
use serde_json::Value;
use std::time::Duration;

/// Binance's spot REST API.
pub const BINANCE_API: &str = "https://api.binance.com";

/// Why the exchange gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The exchange could not be reached or kept failing (after all retries).
    #[error("{url}: {detail} (after {attempts} attempts)")]
    Unavailable { url: String, detail: String, attempts: u32 },
    /// The exchange refused the request (4xx other than 418/429): retrying will not help.
    #[error("{url}: HTTP {status}: {body}")]
    Refused { url: String, status: u16, body: String },
    /// The answer arrived but its candles are not a valid window.
    #[error("candles for decision minute {minute} UTC: {reason}")]
    BadCandles { minute: String, reason: String },
}

/// Told whether each request got an answer from the exchange (`Ok`), or why not after all
/// retries (`Err`, scrubbed). An answer with bad candles, or a refusal (4xx), is still an answer.
pub type Observer = std::sync::Arc<dyn Fn(Result<(), String>) + Send + Sync>;

/// A client of the exchange's REST API.
#[derive(Clone)]
pub struct Exchange {
    client: reqwest::Client,
    base: String,
    pub retry: RetryPolicy,
    observer: Option<Observer>,
}

impl Exchange {
    /// A client of the API at `base` (e.g. [`BINANCE_API`]); each request times out after `timeout`.
    pub fn new(base: &str, timeout: Duration, retry: RetryPolicy) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("veriregime/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Exchange { client, base: base.trim_end_matches('/').to_string(), retry, observer: None })
    }

    /// The same client, telling `observer` the outcome of every request.
    pub fn observed(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    fn tell(&self, outcome: Result<(), String>) {
        if let Some(o) = &self.observer {
            o(outcome);
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET a JSON document, with the retry policy. Malformed JSON is retried too (a body cut
    /// short by a proxy is transient); it is an error when it persists.
    async fn get_json(&self, path: &str) -> Result<Value, ExchangeError> {
        let url = format!("{}{path}", self.base);
        // What errors and logs show: the URL without credentials.
        let shown = veriregime_core::redact::redact_url(&url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (detail, wait_hint) = match self.client.get(&url).send().await {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(body) => match serde_json::from_slice::<Value>(&body) {
                        Ok(v) => {
                            self.tell(Ok(()));
                            return Ok(v);
                        }
                        Err(e) => (format!("malformed JSON ({e}): {:?}", String::from_utf8_lossy(&body[..body.len().min(80)])), None),
                    },
                    Err(e) => (format!("reading the body: {}", veriregime_core::redact::error_chain(&e)), None),
                },
                Ok(r) => {
                    let status = r.status();
                    let ra = retry_after(&r);
                    if !retryable(status) {
                        let body = r.text().await.unwrap_or_default();
                        self.tell(Ok(()));
                        return Err(ExchangeError::Refused { url: shown, status: status.as_u16(), body: veriregime_core::redact::scrub(&body.chars().take(200).collect::<String>()) });
                    }
                    (format!("HTTP {status}"), ra)
                }
                Err(e) if e.is_timeout() => (format!("timed out: {}", veriregime_core::redact::error_chain(&e)), None),
                Err(e) => (veriregime_core::redact::error_chain(&e), None),
            };
            if attempt >= self.retry.max_attempts {
                self.tell(Err(format!("{shown}: {detail}")));
                return Err(ExchangeError::Unavailable { url: shown, detail, attempts: attempt });
            }
            self.retry.pause(attempt, wait_hint, &format!("{shown}: {detail}")).await;
        }
    }

    /// The exchange's clock (epoch ms), from `GET /api/v3/time`.
    pub async fn server_time(&self) -> Result<i64, ExchangeError> {
        let path = "/api/v3/time";
        let v = self.get_json(path).await?;
        v["serverTime"].as_i64().ok_or_else(|| ExchangeError::Unavailable {
            url: veriregime_core::redact::redact_url(&format!("{}{path}", self.base)),
            detail: format!("no serverTime in {v}"),
            attempts: 1,
        })
    }

    /// The symbol's latest price, from `GET /api/v3/ticker/price` (an answer tagged with the
    /// symbol, where klines are not).
    pub async fn ticker_price(&self, symbol: &str) -> Result<f64, ExchangeError> {
        let path = format!("/api/v3/ticker/price?symbol={symbol}");
        let v = self.get_json(&path).await?;
        let bad = |detail: String| ExchangeError::Unavailable { url: format!("{}{path}", self.base), detail, attempts: 1 };
        if v["symbol"].as_str() != Some(symbol) {
            return Err(bad(format!("the ticker answer is for {:?}, not {symbol}", v["symbol"])));
        }
        let price = v["price"].as_str().and_then(|p| p.parse::<f64>().ok()).filter(|p| p.is_finite() && *p > 0.0);
        price.ok_or_else(|| bad(format!("no positive price in {}", short(&v))))
    }

    /// Raw 1-minute klines with open time in `[start_ms, end_ms]` (at most 1000), parsed and each
    /// checked; the last one may still be open.
    pub async fn klines(&self, symbol: &str, start_ms: i64, end_ms: i64) -> Result<Vec<Candle>, ExchangeError> {
        let path = format!("/api/v3/klines?symbol={symbol}&interval=1m&startTime={start_ms}&endTime={end_ms}&limit=1000");
        let v = self.get_json(&path).await?;
        let minute = fmt_minute(end_ms - end_ms.rem_euclid(MINUTE_MS));
        // Errors name where the candle came from: the request's path.
        let rows = v.as_array().ok_or_else(|| ExchangeError::BadCandles { minute: minute.clone(), reason: format!("GET {path}: klines answer is not an array: {}", short(&v)) })?;
        rows.iter()
            .enumerate()
            .map(|(i, row)| parse_kline(row).map_err(|reason| ExchangeError::BadCandles { minute: minute.clone(), reason: format!("GET {path}: kline {i}: {reason}") }))
            .collect()
    }

    /// Open time of the latest candle the exchange serves (the one in progress, as Binance
    /// includes it): the exchange's own data says every minute before it has ended.
    pub async fn latest_open(&self, symbol: &str) -> Result<i64, ExchangeError> {
        let path = format!("/api/v3/klines?symbol={symbol}&interval=1m&limit=1");
        let v = self.get_json(&path).await?;
        let bad = |reason: String| ExchangeError::BadCandles { minute: "latest".into(), reason: format!("GET {path}: {reason}") };
        let row = v.as_array().and_then(|a| a.last()).ok_or_else(|| bad(format!("no candle in {}", short(&v))))?;
        row.get(0).and_then(Value::as_i64).filter(|t| t % MINUTE_MS == 0).ok_or_else(|| bad(format!("no open time in {}", short(row))))
    }

    /// The [`LOOKBACK`] closed candles ending at `decision_minute` (its open time, ms), given the
    /// exchange's clock `server_now`: all present, in order, none duplicated, none still open.
    pub async fn window(&self, symbol: &str, decision_minute: i64, server_now: i64) -> Result<Vec<Candle>, ExchangeError> {
        let start = decision_minute - (LOOKBACK as i64 - 1) * MINUTE_MS;
        let candles = self.klines(symbol, start, decision_minute + MINUTE_MS - 1).await?;
        check_window(candles, decision_minute, server_now)
    }
}

/// Keeps the closed candles and checks they are exactly the window of `decision_minute`.
pub fn check_window(mut candles: Vec<Candle>, decision_minute: i64, server_now: i64) -> Result<Vec<Candle>, ExchangeError> {
    let minute = fmt_minute(decision_minute);
    let bad = |reason: String| ExchangeError::BadCandles { minute: minute.clone(), reason };
    // The exchange includes the candle in progress; it is not data yet.
    candles.retain(|c| c.close_time < server_now);
    let series = Series::from_candles(candles, "klines").map_err(|e| bad(format!("duplicated or out of order: {e}")))?;
    if let Some(g) = series.gaps.first() {
        return Err(bad(format!("{} missing minute(s) from {} UTC", g.missing_minutes, fmt_minute(g.from))));
    }
    let c = series.candles;
    let start = decision_minute - (LOOKBACK as i64 - 1) * MINUTE_MS;
    match (c.first(), c.last()) {
        (Some(a), Some(b)) if a.open_time == start && b.open_time == decision_minute && c.len() == LOOKBACK => Ok(c),
        (Some(a), Some(b)) => Err(bad(format!(
            "{} closed candles from {} to {} UTC; the window needs the {LOOKBACK} from {} to {}",
            c.len(),
            fmt_minute(a.open_time),
            fmt_minute(b.open_time),
            fmt_minute(start),
            minute
        ))),
        _ => Err(bad("no closed candles".into())),
    }
}

/// One row of `GET /api/v3/klines`: `[openTime, "open", "high", "low", "close", "volume",
/// closeTime, "quoteVolume", trades, "takerBase", "takerQuote", "ignore"]`, checked.
pub fn parse_kline(row: &Value) -> Result<Candle, String> {
    let a = row.as_array().ok_or_else(|| format!("not an array: {}", short(row)))?;
    if a.len() < 9 {
        return Err(format!("{} fields, expected 12", a.len()));
    }
    let int = |k: usize, name: &str| a[k].as_i64().ok_or_else(|| format!("{name} {} is not an integer", a[k]));
    let num = |k: usize, name: &str| {
        a[k].as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .or_else(|| a[k].as_f64())
            .ok_or_else(|| format!("{name} {} is not a number", a[k]))
    };
    let c = Candle {
        open_time: int(0, "open time")?,
        open: num(1, "open")?,
        high: num(2, "high")?,
        low: num(3, "low")?,
        close: num(4, "close")?,
        volume: num(5, "volume")?,
        close_time: int(6, "close time")?,
        trades: veriregime_core::data::trade_count(int(8, "trades")?).map_err(|e| format!("minute {} UTC: {e}", fmt_minute(a[0].as_i64().unwrap_or_default())))?,
    };
    c.check()?;
    Ok(c)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 { format!("{}...", &s[..s.char_indices().nth(80).map(|(i, _)| i).unwrap_or(s.len())]) } else { s }
}

/// The REST form of a candle (what the fake exchange serves).
pub fn kline_json(c: &Candle) -> Value {
    serde_json::json!([
        c.open_time,
        format!("{:.2}", c.open),
        format!("{:.2}", c.high),
        format!("{:.2}", c.low),
        format!("{:.2}", c.close),
        format!("{:.8}", c.volume),
        c.close_time,
        format!("{:.8}", c.volume * c.close),
        c.trades,
        format!("{:.8}", c.volume / 2.0),
        format!("{:.8}", c.volume * c.close / 2.0),
        "0"
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use veriregime_core::data::{synth_candles, SynthConfig};

    fn candles(n: usize) -> Vec<Candle> {
        synth_candles(&SynthConfig { minutes: n, ..Default::default() })
    }

    #[test]
    fn rest_rows_round_trip_and_bad_rows_are_named() {
        let c = candles(3)[1];
        let back = parse_kline(&kline_json(&c)).unwrap();
        assert_eq!(back.open_time, c.open_time);
        assert!((back.close - c.close).abs() < 0.01);
        let mut row = kline_json(&c);
        row[2] = Value::String("1.0".into()); // high below open
        assert!(parse_kline(&row).unwrap_err().contains("above high 1"), "{:?}", parse_kline(&row));
        row[2] = Value::String("x".into());
        assert!(parse_kline(&row).unwrap_err().contains("high \"x\" is not a number"));
        // Absurd numbers are refused, naming the minute and the field.
        let mut row = kline_json(&c);
        row[5] = Value::String("1e18".into());
        let e = parse_kline(&row).unwrap_err();
        assert!(e.contains(&format!("minute {} UTC", fmt_minute(c.open_time))) && e.contains("volume 1000000000000000000 is above"), "{e}");
        let mut row = kline_json(&c);
        row[8] = serde_json::json!(-5);
        assert!(parse_kline(&row).unwrap_err().contains("number_of_trades -5 is negative"));
    }

    #[test]
    fn a_window_is_closed_complete_and_unique() {
        let all = candles(LOOKBACK + 1);
        let t = all[LOOKBACK - 1].open_time;
        let now = t + MINUTE_MS + 10; // t has closed; the next candle is open
        let w = check_window(all.clone(), t, now).unwrap();
        assert_eq!(w.len(), LOOKBACK);
        assert_eq!(w.last().unwrap().open_time, t);
        // The decision candle itself still open.
        let e = check_window(all.clone(), t, t + 30_000).unwrap_err().to_string();
        assert!(e.contains("299 closed candles"), "{e}");
        // A missing minute.
        let mut gap = all.clone();
        gap.remove(100);
        let e = check_window(gap, t, now).unwrap_err().to_string();
        assert!(e.contains("1 missing minute(s) from"), "{e}");
        // A duplicated minute.
        let mut dup = all.clone();
        dup.insert(50, all[50]);
        let e = check_window(dup, t, now).unwrap_err().to_string();
        assert!(e.contains("duplicated or out of order"), "{e}");
    }
}

//! A loopback fake of Binance, for tests, the soak benchmark and trying the daemon without the
//! exchange: the spot REST API's `GET /api/v3/time`, `/api/v3/ping`, `/api/v3/ticker/price` and `/api/v3/klines` (real
//! response formats, the candle in progress included as Binance does), and the public archive host
//! (`GET /data/...` files with `Range` support), with fault injection.
//!
//! The fake has its own clock, `start + (elapsed real time) x speed`, so a test can run many
//! 1-minute rounds quickly; only candles that have opened by that clock are served. Faults:
//! - transient, consumed one per request to a path ([`Fault`]): an HTTP status (5xx), 429
//!   or 418 with `Retry-After`, a hang longer than the client's timeout, a malformed body, a
//!   klines answer with a candle missing or duplicated, a `/api/v3/time` answer off by some amount
//!   (a lying clock; the candles keep their true times);
//! - persistent: holes in the data (a minute missing or duplicated in every klines answer), a
//!   clock offset on every `/api/v3/time` answer.
//!
//! It is a stand-in for the one thing that cannot run here (the exchange); it is never used by
//! the daemon itself.

use super::kline_json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use veriregime_core::data::{Candle, MINUTE_MS};

/// A fault answered instead of the real response.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This HTTP status with a short error body (e.g. 500, 502, 503).
    Status(u16),
    /// 429 Too Many Requests with `Retry-After: secs`.
    RateLimited { retry_after_s: u64 },
    /// 418 (Binance's IP ban after ignored 429s) with `Retry-After: secs`.
    Banned { retry_after_s: u64 },
    /// No answer for this long (longer than the client's timeout: a timeout).
    Hang(Duration),
    /// 200 with a body that is not JSON (cut short).
    Malformed,
    /// A klines answer with one candle (the middle one) left out.
    MissingCandle,
    /// A klines answer with one candle (the middle one) twice.
    DuplicateCandle,
    /// A `/api/v3/time` answer this many milliseconds off the fake's clock (its candles are not).
    ClockOffset(i64),
}

/// What the fake serves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub symbol: String,
    /// Candles, in order; served when they have opened by the fake's clock.
    pub candles: Vec<Candle>,
    /// The fake's clock at start (epoch ms).
    pub start_ms: i64,
    /// Fake milliseconds per real millisecond.
    pub speed: f64,
    /// Root of an archive tree served under `/data/` (Binance Vision's paths).
    pub archive_root: Option<PathBuf>,
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
}

impl FakeConfig {
    /// Replays `days` days of an archive from day `from_ms` (UTC midnight) at real time: the
    /// candles keep their prices, volumes and order and are moved in time by one constant, so
    /// that the end of the first day (a day of history for the indicators) is `now_ms` and the
    /// rest comes minute by minute. The archive is served under `/data/` as well.
    pub fn replay(archive: &veriregime_core::data::Archive, from_ms: i64, days: u32, now_ms: i64) -> anyhow::Result<Self> {
        anyhow::ensure!(days >= 2, "replay: at least 2 days (one of history, one to serve)");
        let day = 1440 * MINUTE_MS;
        let series = archive.load(from_ms, from_ms + days as i64 * day)?;
        anyhow::ensure!(
            series.candles.len() > 1440,
            "replay: {} {} days from {} hold {} candles, fewer than a day",
            archive.symbol,
            days,
            veriregime_core::data::fmt_minute(from_ms),
            series.candles.len()
        );
        let shift = now_ms / MINUTE_MS * MINUTE_MS - (from_ms + day);
        let candles: Vec<Candle> = series.candles.into_iter().map(|c| Candle { open_time: c.open_time + shift, close_time: c.close_time + shift, ..c }).collect();
        Ok(FakeConfig {
            symbol: archive.symbol.to_uppercase(),
            candles,
            start_ms: now_ms,
            speed: 1.0,
            archive_root: Some(archive.root.clone()),
            listen: ([127, 0, 0, 1], 0).into(),
        })
    }

    /// Serves `candles` of `symbol` on a loopback port, the clock starting just after the close
    /// of candle `at` (index), running `speed` times faster than real time.
    pub fn from_candles(symbol: &str, candles: Vec<Candle>, at: usize, speed: f64) -> Self {
        let start_ms = candles[at].open_time + MINUTE_MS + 1;
        FakeConfig { symbol: symbol.to_uppercase(), candles, start_ms, speed, archive_root: None, listen: ([127, 0, 0, 1], 0).into() }
    }
}

#[derive(Default)]
struct Faults {
    transient: Vec<(String, VecDeque<Fault>)>,
    missing: BTreeSet<i64>,
    duplicated: BTreeSet<i64>,
    /// The prices of every other candle (odd minutes) served multiplied by this (an exchange
    /// serving other candles than the market's); none: as they are.
    price_scale: Option<f64>,
    /// The ticker price served multiplied by this (another symbol's ticker); none: as it is.
    ticker_scale: Option<f64>,
    clock_offset_ms: i64,
}

struct Shared {
    cfg: FakeConfig,
    real_start: Instant,
    faults: Mutex<Faults>,
    log: Mutex<Vec<(String, Option<String>)>>,
}

impl Shared {
    fn now_ms(&self) -> i64 {
        self.cfg.start_ms + (self.real_start.elapsed().as_secs_f64() * 1000.0 * self.cfg.speed) as i64
    }

    /// The next transient fault for a request: faults injected for a path answer any query;
    /// faults injected with a query answer the requests whose path and query start with it.
    fn take_fault(&self, path_and_query: &str) -> Option<Fault> {
        let mut f = self.faults.lock().expect("fault lock");
        let path = path_and_query.split('?').next().unwrap_or_default();
        let hits = |p: &str| if p.contains('?') { path_and_query.starts_with(p) } else { p == path };
        f.transient.iter_mut().find(|(p, q)| hits(p) && !q.is_empty()).and_then(|(_, q)| q.pop_front())
    }
}

/// A running fake exchange. Dropping it stops the server.
pub struct FakeExchange {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeExchange {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeExchange {
    /// Starts the server (on the current tokio runtime).
    pub async fn start(cfg: FakeConfig) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared { cfg, real_start: Instant::now(), faults: Mutex::default(), log: Mutex::default() });
        let app = axum::Router::new()
            .route("/api/v3/ping", axum::routing::get(|| async { axum::Json(serde_json::json!({})) }))
            .route("/api/v3/time", axum::routing::get(time))
            .route("/api/v3/klines", axum::routing::get(klines))
            .route("/api/v3/ticker/price", axum::routing::get(ticker_price))
            .route("/data/{*path}", axum::routing::get(archive_file))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), faults_layer))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeExchange { url, shared, task })
    }

    /// The fake's clock (epoch ms).
    pub fn now_ms(&self) -> i64 {
        self.shared.now_ms()
    }

    /// Answers the next requests to `path` (e.g. `/api/v3/klines`, any query; or
    /// `/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime`, those whose query starts so) with
    /// these faults, one each, in order.
    pub fn inject(&self, path: &str, faults: impl IntoIterator<Item = Fault>) {
        let mut f = self.shared.faults.lock().expect("fault lock");
        f.transient.push((path.to_string(), faults.into_iter().collect()));
    }

    /// Leaves the candle of minute `open_ms` out of every klines answer (an exchange data hole).
    pub fn drop_minute(&self, open_ms: i64) {
        self.shared.faults.lock().expect("fault lock").missing.insert(open_ms);
    }

    /// Repeats the candle of minute `open_ms` in every klines answer.
    pub fn duplicate_minute(&self, open_ms: i64) {
        self.shared.faults.lock().expect("fault lock").duplicated.insert(open_ms);
    }

    /// Serves the prices of every other candle (odd minutes) multiplied by `factor` from now on:
    /// a venue whose candles differ from the market's, with other returns (a constant factor on
    /// every candle would leave the normalised features as they are). `1.0` serves them as they are.
    pub fn scale_prices(&self, factor: f64) {
        self.shared.faults.lock().expect("fault lock").price_scale = (factor != 1.0).then_some(factor);
    }

    /// Serves the ticker price multiplied by `factor` from now on (the klines as they are): a
    /// ticker that is not the candles' symbol's. `1.0` serves it as it is.
    pub fn scale_ticker(&self, factor: f64) {
        self.shared.faults.lock().expect("fault lock").ticker_scale = (factor != 1.0).then_some(factor);
    }

    /// Adds `ms` to every `/api/v3/time` answer from now on (0: the true clock again); the
    /// candles keep their times.
    pub fn set_clock_offset(&self, ms: i64) {
        self.shared.faults.lock().expect("fault lock").clock_offset_ms = ms;
    }

    /// Drops every transient fault not yet answered (the persistent ones stay).
    pub fn clear_faults(&self) {
        self.shared.faults.lock().expect("fault lock").transient.clear();
    }

    /// Every request so far: path (with query) and `Range` header.
    pub fn requests(&self) -> Vec<(String, Option<String>)> {
        self.shared.log.lock().expect("log lock").clone()
    }
}

async fn faults_layer(State(s): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, mut req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(String::from);
    s.log.lock().expect("log lock").push((path.clone(), range));
    match s.take_fault(&path) {
        None => next.run(req).await,
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(serde_json::json!({"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}))).into_response()
        }
        Some(Fault::RateLimited { retry_after_s }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_s.to_string())],
            axum::Json(serde_json::json!({"code": -1003, "msg": "Too many requests; current limit is 6000 request weight per 1 MINUTE."})),
        )
            .into_response(),
        Some(Fault::Banned { retry_after_s }) => (
            StatusCode::IM_A_TEAPOT,
            [(header::RETRY_AFTER, retry_after_s.to_string())],
            axum::Json(serde_json::json!({"code": -1003, "msg": "Way too many requests; IP banned."})),
        )
            .into_response(),
        Some(Fault::Hang(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(f @ (Fault::MissingCandle | Fault::DuplicateCandle | Fault::ClockOffset(_))) => {
            req.extensions_mut().insert(f);
            next.run(req).await
        }
        Some(Fault::Malformed) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "[[1700000000000,\"42000.0").into_response(),
    }
}

async fn time(State(s): State<Arc<Shared>>, fault: Option<axum::Extension<Fault>>) -> Response {
    let mut offset = s.faults.lock().expect("fault lock").clock_offset_ms;
    if let Some(axum::Extension(Fault::ClockOffset(ms))) = fault {
        offset += ms;
    }
    axum::Json(serde_json::json!({ "serverTime": s.now_ms() + offset })).into_response()
}

/// `GET /api/v3/ticker/price?symbol=S`: the latest price, here the close of the candle in
/// progress (price faults touch klines only: a venue whose candles are not the market's).
async fn ticker_price(State(s): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("symbol").map(|x| x.to_uppercase()) != Some(s.cfg.symbol.clone()) {
        return api_error(-1121, "Invalid symbol.");
    }
    let now = s.now_ms();
    let scale = s.faults.lock().expect("fault lock").ticker_scale.unwrap_or(1.0);
    match s.cfg.candles.iter().rev().find(|c| c.open_time <= now) {
        Some(c) => axum::Json(serde_json::json!({ "symbol": s.cfg.symbol, "price": format!("{:.8}", c.close * scale) })).into_response(),
        None => api_error(-1121, "Invalid symbol."),
    }
}

fn api_error(code: i64, msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "code": code, "msg": msg }))).into_response()
}

async fn klines(State(s): State<Arc<Shared>>, fault: Option<axum::Extension<Fault>>, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("symbol").map(|x| x.to_uppercase()) != Some(s.cfg.symbol.clone()) {
        return api_error(-1121, "Invalid symbol.");
    }
    if q.get("interval").map(String::as_str) != Some("1m") {
        return api_error(-1120, "Invalid interval.");
    }
    let now = s.now_ms();
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let limit = num("limit").unwrap_or(500).clamp(1, 1000) as usize;
    let end = num("endTime").unwrap_or(i64::MAX).min(now);
    let start = num("startTime");
    let (missing, duplicated, scale) = {
        let f = s.faults.lock().expect("fault lock");
        (f.missing.clone(), f.duplicated.clone(), f.price_scale)
    };
    let open: Vec<&Candle> = s.cfg.candles.iter().filter(|c| c.open_time <= end && start.is_none_or(|a| c.open_time >= a)).collect();
    // Without startTime Binance answers the most recent `limit` candles.
    let open = if start.is_none() { &open[open.len().saturating_sub(limit)..] } else { &open[..open.len().min(limit)] };
    let mut rows = Vec::with_capacity(open.len());
    for c in open {
        if missing.contains(&c.open_time) {
            continue;
        }
        let c = match scale {
            Some(k) if (c.open_time / MINUTE_MS) % 2 == 1 => &Candle { open: c.open * k, high: c.high * k, low: c.low * k, close: c.close * k, ..**c },
            _ => *c,
        };
        rows.push(kline_json(c));
        if duplicated.contains(&c.open_time) {
            rows.push(kline_json(c));
        }
    }
    let mid = rows.len() / 2;
    match fault.map(|f| f.0) {
        Some(Fault::MissingCandle) if !rows.is_empty() => {
            rows.remove(mid);
        }
        Some(Fault::DuplicateCandle) if !rows.is_empty() => {
            let r = rows[mid].clone();
            rows.insert(mid, r);
        }
        _ => {}
    }
    axum::Json(serde_json::Value::Array(rows)).into_response()
}

async fn archive_file(State(s): State<Arc<Shared>>, UrlPath(path): UrlPath<String>, headers: HeaderMap) -> Response {
    let Some(root) = &s.cfg.archive_root else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if path.split('/').any(|p| p == "..") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let Ok(body) = std::fs::read(root.join(&path)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    match range.and_then(|r| r.strip_prefix("bytes=")).and_then(|r| r.strip_suffix('-')).and_then(|n| n.parse::<usize>().ok()) {
        Some(from) if from >= body.len() => StatusCode::RANGE_NOT_SATISFIABLE.into_response(),
        Some(from) => (StatusCode::PARTIAL_CONTENT, body[from..].to_vec()).into_response(),
        None => (StatusCode::OK, body).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Exchange, ExchangeError};
    use veriregime_core::data::{synth_candles, SynthConfig};
    use veriregime_core::features::LOOKBACK;
    use veriregime_core::http::RetryPolicy;

    fn quick() -> RetryPolicy {
        RetryPolicy { max_attempts: 4, base_backoff: Duration::from_millis(10), max_wait: Duration::from_secs(2) }
    }

    async fn setup() -> (FakeExchange, Exchange, Vec<Candle>) {
        let candles = synth_candles(&SynthConfig { minutes: 400, ..Default::default() });
        let fake = FakeExchange::start(FakeConfig::from_candles("BTCUSDT", candles.clone(), LOOKBACK + 10, 1.0)).await.unwrap();
        let ex = Exchange::new(&fake.url, Duration::from_millis(500), quick()).unwrap();
        (fake, ex, candles)
    }

    #[tokio::test]
    async fn the_ticker_names_its_symbol_and_price_faults_change_klines_only() {
        let (fake, ex, candles) = setup().await;
        let in_progress = candles[LOOKBACK + 11].close;
        assert_eq!(ex.ticker_price("BTCUSDT").await.unwrap(), (in_progress * 1e8).round() / 1e8);
        assert!(matches!(ex.ticker_price("ETHUSDT").await, Err(ExchangeError::Refused { status: 400, .. })));
        let now = ex.server_time().await.unwrap();
        let t = candles[LOOKBACK + 10].open_time;
        let honest = ex.window("BTCUSDT", t, now).await.unwrap();
        fake.scale_prices(1.01);
        let scaled = ex.window("BTCUSDT", t, now).await.unwrap();
        let odd = |c: &Candle| (c.open_time / MINUTE_MS) % 2 == 1;
        for (h, s) in honest.iter().zip(&scaled) {
            let want = if odd(h) { h.close * 1.01 } else { h.close };
            assert!((s.close / want - 1.0).abs() < 1e-6, "{} vs {}", s.close, want);
        }
        assert_eq!(ex.ticker_price("BTCUSDT").await.unwrap(), (in_progress * 1e8).round() / 1e8);
    }

    #[tokio::test]
    async fn serves_closed_windows_through_transient_faults() {
        let (fake, ex, candles) = setup().await;
        let now = ex.server_time().await.unwrap();
        assert!((now - fake.now_ms()).abs() < 1000);
        let t = candles[LOOKBACK + 10].open_time;
        fake.inject("/api/v3/klines", [Fault::Status(503), Fault::RateLimited { retry_after_s: 0 }, Fault::Hang(Duration::from_secs(2))]);
        let w = ex.window("BTCUSDT", t, now).await.unwrap();
        assert_eq!((w.len(), w.last().unwrap().open_time), (LOOKBACK, t));
        assert_eq!(fake.requests().iter().filter(|(p, _)| p.starts_with("/api/v3/klines")).count(), 4);
        // A malformed body is retried too.
        fake.inject("/api/v3/klines", [Fault::Malformed]);
        assert!(ex.window("BTCUSDT", t, now).await.is_ok());
        // A candle missing or repeated in one answer: the window is refused, naming why.
        fake.inject("/api/v3/klines", [Fault::MissingCandle, Fault::DuplicateCandle]);
        let e = ex.window("BTCUSDT", t, now).await.unwrap_err().to_string();
        assert!(e.contains("missing minute"), "{e}");
        let e = ex.window("BTCUSDT", t, now).await.unwrap_err().to_string();
        assert!(e.contains("duplicated"), "{e}");
        // The candle in progress is served (as Binance does) but never used.
        let raw = ex.klines("BTCUSDT", t, t + 2 * MINUTE_MS).await.unwrap();
        assert_eq!(raw.len(), 2);
        assert!(raw[1].close_time > now);
    }

    #[tokio::test]
    async fn persistent_faults_and_data_holes_are_named() {
        let (fake, ex, candles) = setup().await;
        let now = ex.server_time().await.unwrap();
        let t = candles[LOOKBACK + 10].open_time;
        fake.inject("/api/v3/klines", vec![Fault::Status(502); 4]);
        let e = ex.window("BTCUSDT", t, now).await.unwrap_err();
        assert!(matches!(e, ExchangeError::Unavailable { attempts: 4, .. }), "{e}");
        assert!(e.to_string().contains("HTTP 502"), "{e}");
        fake.drop_minute(candles[200].open_time);
        let e = ex.window("BTCUSDT", t, now).await.unwrap_err().to_string();
        assert!(e.contains("1 missing minute(s) from"), "{e}");
        let e = ex.klines("ETHUSDT", t, t).await.unwrap_err();
        assert!(matches!(e, ExchangeError::Refused { status: 400, .. }), "{e}");
    }

    #[tokio::test]
    async fn a_lying_clock_and_an_absurd_candle() {
        let mut candles = synth_candles(&SynthConfig { minutes: 400, ..Default::default() });
        // 1e18 200 minutes before the decision minute: outside every window the model sees, but
        // inside the warm-up, where a running sum would have carried it on.
        candles[LOOKBACK + 10 - 200].volume = 1e18;
        let fake = FakeExchange::start(FakeConfig::from_candles("BTCUSDT", candles.clone(), LOOKBACK + 10, 1.0)).await.unwrap();
        let ex = Exchange::new(&fake.url, Duration::from_millis(500), quick()).unwrap();
        let now = ex.server_time().await.unwrap();
        let t = candles[LOOKBACK + 10].open_time;
        let e = ex.window("BTCUSDT", t, now).await.unwrap_err().to_string();
        assert!(e.contains("GET /api/v3/klines?symbol=BTCUSDT") && e.contains("volume 1000000000000000000 is above"), "{e}");
        assert!(e.contains(&veriregime_core::data::fmt_minute(candles[LOOKBACK + 10 - 200].open_time)), "{e}");
        // The clock lies, the candles do not.
        fake.inject("/api/v3/time", [Fault::ClockOffset(600_000)]);
        assert!((ex.server_time().await.unwrap() - fake.now_ms() - 600_000).abs() < 1000);
        assert!((ex.server_time().await.unwrap() - fake.now_ms()).abs() < 1000);
        fake.set_clock_offset(-4_000);
        assert!((ex.server_time().await.unwrap() - fake.now_ms() + 4_000).abs() < 1000);
        let latest = ex.latest_open("BTCUSDT").await.unwrap();
        assert_eq!(latest, candles[LOOKBACK + 11].open_time, "the candle in progress");
        fake.inject("/api/v3/time", vec![Fault::Status(503); 100]);
        fake.clear_faults();
        assert!(ex.server_time().await.is_ok());
    }
}

//! The project's own synthetic candles: a deterministic, seeded random walk with volatility regimes,
//! written in Binance Vision's exact archive format. They are NOT market data; they serve as the
//! embedded default of the demo and as test fixtures. Real data lives in `../shared/data`.

use super::{Candle, DataError, MINUTE_MS};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Parameters of the synthetic walk.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub seed: u64,
    /// Open time of the first candle (epoch ms, minute-aligned).
    pub start: i64,
    pub minutes: usize,
    pub start_price: f64,
    /// Per-minute log-return volatility in the calm regime.
    pub sigma: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 20240101,
            // 2024-01-01 00:00 UTC
            start: 1_704_067_200_000,
            minutes: 2 * 1440,
            start_price: 42_000.0,
            sigma: 0.0008,
        }
    }
}

/// Generates `cfg.minutes` contiguous, valid candles. Same config, same candles.
pub fn synth_candles(cfg: &SynthConfig) -> Vec<Candle> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let n01 = Normal::new(0.0, 1.0).expect("valid normal");
    let mut price = cfg.start_price;
    let mut vol_regime = 1.0f64;
    let mut drift = 0.0f64;
    let mut out = Vec::with_capacity(cfg.minutes);
    for i in 0..cfg.minutes {
        // Regimes switch now and then: calm/volatile, and a drift that trends for a while.
        if rng.gen_bool(0.01) {
            vol_regime = if rng.gen_bool(0.5) { 1.0 } else { 2.5 };
        }
        if rng.gen_bool(0.02) {
            drift = n01.sample(&mut rng) * cfg.sigma * 0.4;
        }
        let sigma = cfg.sigma * vol_regime;
        let r = drift + sigma * n01.sample(&mut rng);
        let open = round2(price);
        let close = round2(price * r.exp());
        let high = round2(open.max(close) * (sigma * n01.sample(&mut rng).abs() * 0.6).exp()).max(open.max(close));
        let low = round2(open.min(close) * (-sigma * n01.sample(&mut rng).abs() * 0.6).exp()).min(open.min(close));
        let volume = (3.0 + 400.0 * r.abs() / cfg.sigma * 0.1) * (0.5 * n01.sample(&mut rng)).exp() * vol_regime;
        let open_time = cfg.start + i as i64 * MINUTE_MS;
        out.push(Candle {
            open_time,
            open,
            high,
            low,
            close,
            volume: (volume * 1e5).round() / 1e5,
            close_time: open_time + MINUTE_MS - 1,
            trades: rng.gen_range(200..4000),
        });
        price = close;
    }
    out
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Formats one candle as a Binance 12-column CSV row (times in ms).
pub fn csv_row(c: &Candle) -> String {
    format!(
        "{},{:.2},{:.2},{:.2},{:.2},{:.5},{},{:.4},{},{:.5},{:.4},0",
        c.open_time,
        c.open,
        c.high,
        c.low,
        c.close,
        c.volume,
        c.close_time,
        c.volume * c.close,
        c.trades,
        c.volume * 0.5,
        c.volume * c.close * 0.5
    )
}

/// Writes candles as daily archive files `ROOT/spot/daily/klines/SYMBOL/1m/SYMBOL-1m-DAY.zip`, each
/// written to a temporary name first and renamed, so no half-written file is left. Returns the paths.
pub fn write_daily_archive(root: &Path, symbol: &str, candles: &[Candle]) -> Result<Vec<PathBuf>, DataError> {
    let dir = root.join(format!("spot/daily/klines/{symbol}/1m"));
    std::fs::create_dir_all(&dir).map_err(|e| DataError::Io { path: dir.clone(), source: e })?;
    let mut paths = Vec::new();
    let mut i = 0;
    while i < candles.len() {
        let day = super::fmt_minute(candles[i].open_time)[..10].to_string();
        let mut csv = String::new();
        while i < candles.len() && super::fmt_minute(candles[i].open_time)[..10] == day {
            csv.push_str(&csv_row(&candles[i]));
            csv.push('\n');
            i += 1;
        }
        let name = format!("{symbol}-1m-{day}");
        let path = dir.join(format!("{name}.zip"));
        let tmp = dir.join(format!(".{name}.zip.tmp"));
        let io = |e: std::io::Error| DataError::Io { path: tmp.clone(), source: e };
        let file = std::fs::File::create(&tmp).map_err(io)?;
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(format!("{name}.csv"), opts).map_err(|e| DataError::Zip { path: tmp.clone(), reason: e.to_string() })?;
        zip.write_all(csv.as_bytes()).map_err(io)?;
        zip.finish().map_err(|e| DataError::Zip { path: tmp.clone(), reason: e.to_string() })?;
        std::fs::rename(&tmp, &path).map_err(|e| DataError::Io { path: path.clone(), source: e })?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Archive;

    #[test]
    fn synthetic_candles_are_valid_and_deterministic() {
        let cfg = SynthConfig { minutes: 3000, ..Default::default() };
        let a = synth_candles(&cfg);
        assert_eq!(a, synth_candles(&cfg));
        for c in &a {
            c.check().unwrap();
        }
    }

    #[test]
    fn archive_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SynthConfig { minutes: 1440 + 100, ..Default::default() };
        let candles = synth_candles(&cfg);
        let paths = write_daily_archive(dir.path(), "TESTUSDT", &candles).unwrap();
        assert_eq!(paths.len(), 2);
        let s = Archive::new(dir.path(), "TESTUSDT").load(cfg.start, cfg.start + 2 * 86_400_000).unwrap();
        assert_eq!(s.candles.len(), candles.len());
        assert!(s.gaps.is_empty());
        assert_eq!(s.candles[17].close, candles[17].close);
    }
}

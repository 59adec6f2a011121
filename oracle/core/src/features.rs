//! The one feature module: indicators, model inputs, windows and labels. Training, evaluation,
//! the oracle daemon and the auditor all call this code.
//!
//! # Indicators (TA-Lib conventions)
//! - `EMA(n)`: undefined for the first n-1 candles, seeded with the SMA of the first n closes, then
//!   `e[t] = e[t-1] + 2/(n+1) * (close[t] - e[t-1])`.
//! - `RSI(14)`: Wilder. The first value (at the 15th candle) uses the simple means of the first 14
//!   gains and losses; then `avg = (avg * 13 + x) / 14`. `RSI = 100 * g / (g + l)`; 50 when the
//!   price did not move at all (TA-Lib gives 0 there; 50 is the neutral value a model should see).
//! - `MACD = EMA(12) - EMA(26)` of close, each EMA seeded as above.
//! - `vol_ma5`, `vol_ma10`: simple moving averages of volume (and `vol_ma60`, used for one input),
//!   each summed over its own window, so no value reaches an average whose window lacks it.
//!
//! # Model inputs (scale-free, so a model fitted on 2022 prices works at 2024 prices)
//! | # | name | formula |
//! |---|------|---------|
//! | 0 | `ema5_gap` | `100 * (close / ema5 - 1)` |
//! | 1 | `ema10_gap` | `100 * (close / ema10 - 1)` |
//! | 2 | `ema20_gap` | `100 * (close / ema20 - 1)` |
//! | 3 | `rsi14_c` | `(rsi14 - 50) / 50` |
//! | 4 | `macd_pct` | `100 * macd / close` |
//! | 5 | `vol_ratio_5_10` | `ln((vol_ma5 + e) / (vol_ma10 + e))` |
//! | 6 | `vol_level_10_60` | `ln((vol_ma10 + e) / (vol_ma60 + e))` |
//!
//! with `e = 1e-9`. A model then sees them as z-scores, `clip((x - mean) / std, -5, 5)`, with mean
//! and std fitted on its training split only (`Normalizer`, stored in the model card).
//!
//! # Windows and labels
//! The window of decision minute `t` is the 60 rows of inputs ending at `t` (oldest first), flattened
//! time-major: index `m * 7 + f`. Canonically it is computed from exactly the [`LOOKBACK`] = 300
//! contiguous candles ending at `t` ([`window_from_candles`]): 240 minutes of warm-up, then the
//! window. The daemon and the auditor use that. Training computes each contiguous segment in one
//! pass ([`Dataset`]) and uses the same rule for which minutes are decision minutes (at least 300
//! contiguous candles up to `t`); the two differ by less than 1e-6 in any input (EMA/RSI seeds have
//! decayed by then; measured by a test). No window spans a gap.
//!
//! Label: `r = (close[t+60] - close[t]) / close[t] * 100`; BUY (2) if `r > 0.2`, SELL (0) if
//! `r < -0.2`, else HOLD (1). Only when minute `t+60` is in the same contiguous segment.

use crate::data::{Candle, Series};
use serde::{Deserialize, Serialize};

/// Version of this specification; written into every model card and checked when a model loads.
pub const FEATURE_SPEC: &str = "vr-features-1";
pub const N_FEATURES: usize = 7;
pub const WINDOW: usize = 60;
pub const HORIZON: usize = 60;
/// Candles of warm-up before a window's first minute.
pub const WARMUP: usize = 240;
/// Contiguous candles that define the window of a decision minute.
pub const LOOKBACK: usize = WARMUP + WINDOW;
/// Flattened model input length (60 x 7).
pub const INPUT_LEN: usize = WINDOW * N_FEATURES;
pub const BUY_THRESHOLD_PCT: f64 = 0.2;
pub const SELL_THRESHOLD_PCT: f64 = -0.2;
pub const INPUT_NAMES: [&str; N_FEATURES] =
    ["ema5_gap", "ema10_gap", "ema20_gap", "rsi14_c", "macd_pct", "vol_ratio_5_10", "vol_level_10_60"];
pub const CLASS_NAMES: [&str; 3] = ["SELL", "HOLD", "BUY"];
const VOL_EPS: f64 = 1e-9;

/// Class of a forward return in percent, at the seed's thresholds.
pub fn label_of(fwd_return_pct: f64) -> u8 {
    label_at(fwd_return_pct, BUY_THRESHOLD_PCT, SELL_THRESHOLD_PCT)
}

/// Class of a forward return in percent: BUY above `buy_above_pct`, SELL below `sell_below_pct`,
/// else HOLD (a model card records the thresholds its labels used).
pub fn label_at(fwd_return_pct: f64, buy_above_pct: f64, sell_below_pct: f64) -> u8 {
    if fwd_return_pct > buy_above_pct {
        2
    } else if fwd_return_pct < sell_below_pct {
        0
    } else {
        1
    }
}

/// Exponential moving average, TA-Lib style: NaN for the first n-1 values, SMA seed at n-1.
pub fn ema(x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if n == 0 || x.len() < n {
        return out;
    }
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut e = x[..n].iter().sum::<f64>() / n as f64;
    out[n - 1] = e;
    for i in n..x.len() {
        e += alpha * (x[i] - e);
        out[i] = e;
    }
    out
}

/// Simple moving average: NaN for the first n-1 values. Each value is the sum of its own window
/// (no running sum): a huge value changes only the windows that hold it, and leaves no rounding
/// residue (or a negative average) in the windows after it.
pub fn sma(x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if n == 0 || x.len() < n {
        return out;
    }
    for i in n - 1..x.len() {
        out[i] = x[i + 1 - n..=i].iter().sum::<f64>() / n as f64;
    }
    out
}

/// Wilder's RSI: NaN for the first n values.
pub fn rsi(close: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; close.len()];
    if n == 0 || close.len() <= n {
        return out;
    }
    let (mut g, mut l) = (0.0, 0.0);
    for i in 1..=n {
        let d = close[i] - close[i - 1];
        if d > 0.0 { g += d } else { l -= d }
    }
    g /= n as f64;
    l /= n as f64;
    let value = |g: f64, l: f64| if g + l == 0.0 { 50.0 } else { 100.0 * g / (g + l) };
    out[n] = value(g, l);
    let k = n as f64;
    for i in n + 1..close.len() {
        let d = close[i] - close[i - 1];
        g = (g * (k - 1.0) + d.max(0.0)) / k;
        l = (l * (k - 1.0) + (-d).max(0.0)) / k;
        out[i] = value(g, l);
    }
    out
}

/// Raw indicators and model inputs of one contiguous run of candles.
#[derive(Debug, Clone)]
pub struct Frame {
    pub open_time: Vec<i64>,
    pub close: Vec<f64>,
    pub ema5: Vec<f64>,
    pub ema10: Vec<f64>,
    pub ema20: Vec<f64>,
    pub rsi14: Vec<f64>,
    pub macd: Vec<f64>,
    pub vol_ma5: Vec<f64>,
    pub vol_ma10: Vec<f64>,
    pub vol_ma60: Vec<f64>,
    /// The 7 model inputs per minute (NaN while an indicator is still undefined).
    pub inputs: Vec<[f64; N_FEATURES]>,
}

impl Frame {
    /// Computes everything for candles that must be contiguous (no missing minute).
    pub fn compute(candles: &[Candle]) -> Frame {
        let close: Vec<f64> = candles.iter().map(|c| c.close).collect();
        let vol: Vec<f64> = candles.iter().map(|c| c.volume).collect();
        let (ema5, ema10, ema20) = (ema(&close, 5), ema(&close, 10), ema(&close, 20));
        let (e12, e26) = (ema(&close, 12), ema(&close, 26));
        let macd: Vec<f64> = e12.iter().zip(&e26).map(|(a, b)| a - b).collect();
        let rsi14 = rsi(&close, 14);
        let (vol_ma5, vol_ma10, vol_ma60) = (sma(&vol, 5), sma(&vol, 10), sma(&vol, 60));
        let inputs = (0..close.len())
            .map(|i| {
                let c = close[i];
                [
                    100.0 * (c / ema5[i] - 1.0),
                    100.0 * (c / ema10[i] - 1.0),
                    100.0 * (c / ema20[i] - 1.0),
                    (rsi14[i] - 50.0) / 50.0,
                    100.0 * macd[i] / c,
                    ((vol_ma5[i] + VOL_EPS) / (vol_ma10[i] + VOL_EPS)).ln(),
                    ((vol_ma10[i] + VOL_EPS) / (vol_ma60[i] + VOL_EPS)).ln(),
                ]
            })
            .collect();
        Frame {
            open_time: candles.iter().map(|c| c.open_time).collect(),
            close,
            ema5,
            ema10,
            ema20,
            rsi14,
            macd,
            vol_ma5,
            vol_ma10,
            vol_ma60,
            inputs,
        }
    }

    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// Whether minute `i` may be a decision minute (it has LOOKBACK contiguous candles).
    pub fn is_decision(&self, i: usize) -> bool {
        i + 1 >= LOOKBACK && i < self.len()
    }

    /// Forward return in percent of minute `i`, when minute `i + 60` is in the frame.
    pub fn fwd_return_pct(&self, i: usize) -> Option<f64> {
        let j = i + HORIZON;
        (j < self.len()).then(|| (self.close[j] - self.close[i]) / self.close[i] * 100.0)
    }

    /// The raw (un-normalised) window of decision minute `i`, oldest minute first.
    pub fn raw_window(&self, i: usize) -> &[[f64; N_FEATURES]] {
        &self.inputs[i + 1 - WINDOW..=i]
    }
}

/// Per-feature z-score normalisation with clipping, fitted on a training split only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    pub mean: [f64; N_FEATURES],
    pub std: [f64; N_FEATURES],
    pub clip: f64,
}

impl Normalizer {
    pub const DEFAULT_CLIP: f64 = 5.0;

    /// Fitted on the same data: equal up to a relative [`Normalizer::SAME_DATA_TOLERANCE`].
    pub fn same_as(&self, other: &Normalizer) -> bool {
        self.clip == other.clip && self.largest_difference(other).0 <= Self::SAME_DATA_TOLERANCE
    }

    /// How far two normalisers fitted on the same days may differ. Not bit-equality: the shipped
    /// models were fitted before the moving averages were summed per window (18e7296), which
    /// moved the std of vol_ratio_5_10 on their range by a relative 1.6e-5 (measured); one day
    /// more or less of a 15-month range moves some mean by 1.4e-2 to 7.6e-2 (measured on
    /// BTCUSDT 2022-12-31..2024-03-31), so 1e-4 tells the two cases apart with room either way.
    pub const SAME_DATA_TOLERANCE: f64 = 1e-4;

    /// The largest relative difference of a mean or standard deviation from `other`'s, and which
    /// (e.g. "std of vol_ratio_5_10"): what an error says when two normalisers differ.
    pub fn largest_difference(&self, other: &Normalizer) -> (f64, String) {
        let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(b.abs()).max(1e-300);
        let mut worst = (0.0, String::new());
        for (what, a, b) in [("mean", &self.mean, &other.mean), ("std", &self.std, &other.std)] {
            for (f, (x, y)) in a.iter().zip(b).enumerate() {
                let d = rel(*x, *y);
                if d > worst.0 {
                    worst = (d, format!("{what} of {}", INPUT_NAMES[f]));
                }
            }
        }
        worst
    }

    /// Fits mean and standard deviation over the given input rows.
    pub fn fit<'a>(rows: impl IntoIterator<Item = &'a [f64; N_FEATURES]>) -> Normalizer {
        let (mut n, mut s, mut s2) = (0.0f64, [0.0f64; N_FEATURES], [0.0f64; N_FEATURES]);
        for r in rows {
            n += 1.0;
            for f in 0..N_FEATURES {
                s[f] += r[f];
                s2[f] += r[f] * r[f];
            }
        }
        let mut mean = [0.0; N_FEATURES];
        let mut std = [1.0; N_FEATURES];
        if n > 1.0 {
            for f in 0..N_FEATURES {
                mean[f] = s[f] / n;
                let var = (s2[f] / n - mean[f] * mean[f]).max(0.0);
                std[f] = if var > 1e-24 { var.sqrt() } else { 1.0 };
            }
        }
        Normalizer { mean, std, clip: Self::DEFAULT_CLIP }
    }

    /// Normalises and flattens a raw window (time-major) into `out` (length 420).
    pub fn apply(&self, window: &[[f64; N_FEATURES]], out: &mut [f32]) {
        debug_assert_eq!(out.len(), window.len() * N_FEATURES);
        for (m, row) in window.iter().enumerate() {
            for f in 0..N_FEATURES {
                let z = (row[f] - self.mean[f]) / self.std[f];
                out[m * N_FEATURES + f] = z.clamp(-self.clip, self.clip) as f32;
            }
        }
    }
}

/// Errors of the canonical window computation.
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("need {LOOKBACK} candles ending at the decision minute, got {0}")]
    TooFew(usize),
    #[error("candles are not contiguous: minute {at} follows minute {prev}")]
    NotContiguous { prev: i64, at: i64 },
    #[error("candle {index} (open_time {open_time}) is invalid: {reason}")]
    BadCandle { index: usize, open_time: i64, reason: String },
    #[error("input {feature} at minute {minute} of the window is not finite")]
    NotFinite { feature: &'static str, minute: usize },
}

/// The canonical raw window of the decision minute that is the last of `candles`: computed from
/// exactly the last [`LOOKBACK`] candles, which must be valid and contiguous.
pub fn window_from_candles(candles: &[Candle]) -> Result<Vec<[f64; N_FEATURES]>, FeatureError> {
    if candles.len() < LOOKBACK {
        return Err(FeatureError::TooFew(candles.len()));
    }
    let c = &candles[candles.len() - LOOKBACK..];
    for (i, k) in c.iter().enumerate() {
        k.check().map_err(|reason| FeatureError::BadCandle { index: i, open_time: k.open_time, reason })?;
        if i > 0 && k.open_time - c[i - 1].open_time != crate::data::MINUTE_MS {
            return Err(FeatureError::NotContiguous { prev: c[i - 1].open_time, at: k.open_time });
        }
    }
    let frame = Frame::compute(c);
    let w = frame.raw_window(LOOKBACK - 1).to_vec();
    for (m, row) in w.iter().enumerate() {
        if let Some(f) = row.iter().position(|v| !v.is_finite()) {
            return Err(FeatureError::NotFinite { feature: INPUT_NAMES[f], minute: m });
        }
    }
    Ok(w)
}

/// A decision minute of a [`Dataset`].
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub segment: usize,
    pub index: usize,
    pub open_time: i64,
    pub fwd_return_pct: Option<f64>,
    pub label: Option<u8>,
}

/// Every contiguous segment of a series, computed once.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub frames: Vec<Frame>,
}

impl Dataset {
    pub fn from_series(series: &Series) -> Dataset {
        let frames = series.segments().into_iter().map(|r| Frame::compute(&series.candles[r])).collect();
        Dataset { frames }
    }

    /// Decision minutes with open time in `[from_ms, to_ms)`; with `labelled`, only those whose
    /// label is known.
    pub fn samples(&self, from_ms: i64, to_ms: i64, labelled: bool) -> Vec<Sample> {
        let mut out = Vec::new();
        for (s, f) in self.frames.iter().enumerate() {
            for i in 0..f.len() {
                let t = f.open_time[i];
                if t < from_ms || t >= to_ms || !f.is_decision(i) {
                    continue;
                }
                let r = f.fwd_return_pct(i);
                if labelled && r.is_none() {
                    continue;
                }
                out.push(Sample { segment: s, index: i, open_time: t, fwd_return_pct: r, label: r.map(label_of) });
            }
        }
        out
    }

    pub fn raw_window(&self, s: &Sample) -> &[[f64; N_FEATURES]] {
        self.frames[s.segment].raw_window(s.index)
    }

    /// Normalised, flattened windows of many samples: `samples.len() * 420` values.
    pub fn windows(&self, samples: &[Sample], norm: &Normalizer) -> Vec<f32> {
        let mut out = vec![0.0f32; samples.len() * INPUT_LEN];
        for (k, s) in samples.iter().enumerate() {
            norm.apply(self.raw_window(s), &mut out[k * INPUT_LEN..(k + 1) * INPUT_LEN]);
        }
        out
    }

    /// Fits a normaliser on the input rows that the windows of `samples` cover.
    pub fn fit_normalizer(&self, samples: &[Sample]) -> Normalizer {
        // Each minute counted once: rows of decision minutes and the 59 before the first of a run.
        let mut rows: Vec<&[f64; N_FEATURES]> = Vec::new();
        let mut last: Option<(usize, usize)> = None;
        for s in samples {
            let start = match last {
                Some((seg, idx)) if seg == s.segment && idx < s.index => (idx + 1).max(s.index + 1 - WINDOW),
                _ => s.index + 1 - WINDOW,
            };
            rows.extend(self.frames[s.segment].inputs[start..=s.index].iter());
            last = Some((s.segment, s.index));
        }
        Normalizer::fit(rows)
    }
}

/// Writes indicators, model inputs, forward return and label of each sample as CSV to `out`,
/// whole or not at all ([`crate::fs::replace_file`]: nothing is left behind on an error, which
/// names the file).
pub fn write_csv(ds: &Dataset, samples: &[Sample], out: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    crate::fs::replace_file(out, |tmp| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(tmp).with_context(|| format!("cannot create {}", tmp.display()))?);
        let names = INPUT_NAMES.join(",");
        writeln!(w, "open_time,close,ema5,ema10,ema20,rsi14,macd,vol_ma5,vol_ma10,{names},fwd_return_pct,label")?;
        for s in samples {
            let f = &ds.frames[s.segment];
            let i = s.index;
            write!(w, "{},{},{},{},{},{},{},{},{}", f.open_time[i], f.close[i], f.ema5[i], f.ema10[i], f.ema20[i], f.rsi14[i], f.macd[i], f.vol_ma5[i], f.vol_ma10[i])?;
            for x in &f.inputs[i] {
                write!(w, ",{x}")?;
            }
            match (s.fwd_return_pct, s.label) {
                (Some(r), Some(l)) => writeln!(w, ",{r},{l}")?,
                _ => writeln!(w, ",,")?,
            }
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{synth_candles, SynthConfig};

    #[test]
    fn ema_is_seeded_with_sma() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let e = ema(&x, 3);
        assert!(e[0].is_nan() && e[1].is_nan());
        assert_eq!(e[2], 2.0);
        assert_eq!(e[3], 2.0 + 0.5 * (4.0 - 2.0));
        assert_eq!(e[4], 3.0 + 0.5 * (5.0 - 3.0));
    }

    #[test]
    fn sma_window() {
        let s = sma(&[1.0, 2.0, 3.0, 4.0], 2);
        assert!(s[0].is_nan());
        assert_eq!(&s[1..], &[1.5, 2.5, 3.5]);
    }

    #[test]
    fn an_absurd_volume_only_affects_the_windows_that_hold_it() {
        // A 1e20 volume inside a day: with a running sum, the windows after it kept a residue of
        // its rounding (NaN inputs, negative vol_ma10 for the rest of the day).
        let clean = synth_candles(&SynthConfig { minutes: 1440, ..Default::default() });
        let mut bad = clean.clone();
        let k = 700;
        bad[k].volume = 1e20;
        let (a, b) = (Frame::compute(&clean), Frame::compute(&bad));
        for i in 0..bad.len() {
            for (n, ma_a, ma_b) in [(5, &a.vol_ma5, &b.vol_ma5), (10, &a.vol_ma10, &b.vol_ma10), (60, &a.vol_ma60, &b.vol_ma60)] {
                if i + 1 < n {
                    continue;
                }
                assert!(ma_b[i] >= 0.0 && ma_b[i].is_finite(), "vol_ma{n} at {i}: {}", ma_b[i]);
                if !(i + 1 - n..=i).contains(&k) {
                    assert_eq!(ma_a[i], ma_b[i], "vol_ma{n} at {i}, outside every window holding minute {k}");
                }
            }
            if i >= k + 60 {
                assert_eq!(a.inputs[i], b.inputs[i], "inputs at {i}");
            }
            assert!(b.inputs[i].iter().all(|v| !v.is_nan()) || i < 60, "NaN input at {i}: {:?}", b.inputs[i]);
        }
    }

    #[test]
    fn a_failed_write_leaves_nothing_and_names_the_file() {
        let candles = synth_candles(&SynthConfig { minutes: 400, ..Default::default() });
        let ds = Dataset::from_series(&Series::from_candles(candles, "synth").unwrap());
        let samples = ds.samples(i64::MIN, i64::MAX, false);
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should go: the rename over it fails.
        let out = dir.path().join("F.csv");
        std::fs::create_dir(&out).unwrap();
        let e = format!("{:#}", write_csv(&ds, &samples, &out).unwrap_err());
        assert!(e.contains(&out.display().to_string()), "{e}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("F.csv")], "a temporary file was left behind");
        std::fs::remove_dir(&out).unwrap();
        write_csv(&ds, &samples, &out).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), samples.len() + 1);
    }

    #[test]
    fn rsi_matches_wilder_by_hand() {
        // Diffs: +1, -1, +2, +1 ; n = 2.
        let c = [10.0, 11.0, 10.0, 12.0, 13.0];
        let r = rsi(&c, 2);
        assert!(r[0].is_nan() && r[1].is_nan());
        // first: g = 0.5, l = 0.5 -> 50
        assert!((r[2] - 50.0).abs() < 1e-12);
        // then g = (0.5 + 2)/2 = 1.25, l = 0.5/2 = 0.25 -> 83.33
        assert!((r[3] - 100.0 * 1.25 / 1.5).abs() < 1e-12);
        // then g = (1.25 + 1)/2 = 1.125, l = 0.125 -> 90
        assert!((r[4] - 90.0).abs() < 1e-12);
        // flat prices: neutral
        assert_eq!(rsi(&[5.0; 20], 14)[19], 50.0);
    }

    #[test]
    fn labels_follow_thresholds() {
        assert_eq!(label_of(0.21), 2);
        assert_eq!(label_of(0.2), 1);
        assert_eq!(label_of(-0.2), 1);
        assert_eq!(label_of(-0.2001), 0);
    }

    #[test]
    fn canonical_window_matches_training_pass() {
        let candles = synth_candles(&SynthConfig { minutes: 2000, ..Default::default() });
        let series = Series::from_candles(candles.clone(), "synth").unwrap();
        let ds = Dataset::from_series(&series);
        let samples = ds.samples(i64::MIN, i64::MAX, false);
        assert_eq!(samples.len(), 2000 - LOOKBACK + 1);
        let mut worst = 0.0f64;
        for s in samples.iter().step_by(97) {
            let canon = window_from_candles(&candles[..=s.index]).unwrap();
            for (a, b) in canon.iter().zip(ds.raw_window(s)) {
                for f in 0..N_FEATURES {
                    worst = worst.max((a[f] - b[f]).abs());
                }
            }
        }
        assert!(worst < 1e-6, "canonical vs one-pass difference {worst}");
    }

    #[test]
    fn windows_never_span_gaps() {
        let mut candles = synth_candles(&SynthConfig { minutes: 1000, ..Default::default() });
        candles.drain(500..510);
        let series = Series::from_candles(candles, "synth").unwrap();
        let ds = Dataset::from_series(&series);
        assert_eq!(ds.frames.len(), 2);
        let samples = ds.samples(i64::MIN, i64::MAX, true);
        // segment 0: 500 candles -> decisions 299..=439 with a label (i + 60 < 500)
        // segment 1: 490 candles -> decisions 299..=429
        assert_eq!(samples.len(), (440 - 299) + (430 - 299));
        for s in &samples {
            assert!(s.index + 1 >= LOOKBACK);
        }
        let w = window_from_candles(&series.candles[..600]);
        assert!(matches!(w, Err(FeatureError::NotContiguous { .. })));
    }

    #[test]
    fn a_normalizer_read_back_from_json_is_the_same_and_another_is_not() {
        let rows: Vec<[f64; N_FEATURES]> = (0..1000).map(|i| std::array::from_fn(|k| ((i * 7 + k * 13) % 101) as f64 / 7.3 + 0.1 / 3.0)).collect();
        let n = Normalizer::fit(&rows);
        let back: Normalizer = serde_json::from_str(&serde_json::to_string(&n).unwrap()).unwrap();
        assert!(n.same_as(&back) && back.same_as(&n));
        // Rounding-sized drift is the same data; a day's worth of range is not, and is named.
        let mut drift = n.clone();
        drift.std[5] *= 1.0 + 2e-5;
        assert!(n.same_as(&drift));
        let mut other = n.clone();
        other.mean[3] *= 1.0 + 1e-3;
        assert!(!n.same_as(&other));
        let (d, which) = n.largest_difference(&other);
        assert!((d - 1e-3).abs() < 1e-6 && which == format!("mean of {}", INPUT_NAMES[3]), "{d} {which}");
    }

    #[test]
    fn normalizer_clips_and_centres() {
        let rows = [[1.0; N_FEATURES], [3.0; N_FEATURES]];
        let n = Normalizer::fit(rows.iter());
        assert_eq!(n.mean[0], 2.0);
        assert_eq!(n.std[0], 1.0);
        let mut out = [0.0f32; 2 * N_FEATURES];
        n.apply(&[[100.0; N_FEATURES], [3.0; N_FEATURES]], &mut out);
        assert_eq!(out[0], 5.0);
        assert_eq!(out[N_FEATURES], 1.0);
    }
}

//! Day ranges of an archive: `--from` / `--to` days as milliseconds, and the candles a range needs.

use crate::data::{Archive, Series};
use crate::model::ModelCard;
use anyhow::Context;
use std::path::Path;

/// `--from` / `--to` days as a half-open millisecond range `[from 00:00, to + 1 day)`.
pub fn day_range(from: &str, to: &str) -> anyhow::Result<(i64, i64)> {
    let a = crate::data::parse_day(from)?;
    let b = crate::data::parse_day(to)? + 86_400_000;
    anyhow::ensure!(b > a, "--to {to} is before --from {from}");
    Ok((a, b))
}

/// The decision range of days `from..=to` in epoch ms, and the candles it needs (with margins).
pub fn load_days(data: &Path, symbol: &str, from: &str, to: &str) -> anyhow::Result<((i64, i64), Series)> {
    let (a, b) = day_range(from, to)?;
    let archive = Archive::new(data, symbol);
    Ok(((a, b), load_with_margins(&archive, a, b)?))
}

/// Loads `[from, to)` plus one day before (warm-up) and one day after (forward labels) where the
/// archive has them. The range itself must lie inside the archive's days: a range that runs past
/// them is an error naming what the archive covers, not a silently shorter range.
pub fn load_with_margins(archive: &Archive, from: i64, to: i64) -> anyhow::Result<crate::data::Series> {
    let day = 86_400_000;
    let (first, last) = archive.available_days()?.with_context(|| format!("no {} archive files under {}", archive.symbol, archive.root.display()))?;
    let lo = crate::data::parse_day(&first.to_string())?;
    let hi = crate::data::parse_day(&last.to_string())? + day;
    let (a, b) = ((from - day).max(lo), (to + day).min(hi));
    let show = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    let asked = format!("{}..{}", show(from), show(to - 1));
    anyhow::ensure!(a < b, "the archive under {} covers {first}..{last}, which does not meet the range asked ({asked})", archive.root.display());
    anyhow::ensure!(
        from >= lo && to <= hi,
        "the range asked ({asked}) runs past the {} archive under {}, which covers {first}..{last}: choose days inside it",
        archive.symbol,
        archive.root.display()
    );
    Ok(archive.load(a, b)?)
}

/// The three splits of `[from, to)` (epoch ms) as half-open decision-minute ranges: chronological
/// 70/15/15 with a purge of `HORIZON` minutes before each boundary, so no training label looks into
/// validation and no validation label into test.
pub fn split_ranges(from: i64, to: i64) -> [(i64, i64); 3] {
    let span = (to - from) as f64;
    let minute = 60_000;
    let b1 = from + ((span * 0.70) as i64 / minute) * minute;
    let b2 = from + ((span * 0.85) as i64 / minute) * minute;
    let purge = crate::features::HORIZON as i64 * minute;
    [(from, b1 - purge), (b1, b2 - purge), (b2, to)]
}

/// The decision range a command was asked for: a model's own split (to the minute) or whole days
/// `from..=to`. Which of the two is given is the CLI's to enforce; here exactly one must be.
pub fn asked_range(card: &ModelCard, split: Option<&str>, from: Option<&str>, to: Option<&str>) -> anyhow::Result<(i64, i64)> {
    match (split, from, to) {
        (Some(s), None, None) => split_range_of(card, s),
        (None, Some(a), Some(b)) => day_range(a, b),
        _ => anyhow::bail!("give --from and --to, or --split"),
    }
}

/// The split names of [`split_ranges`], in order.
pub const SPLITS: [&str; 3] = ["train", "val", "test"];

/// The decision-minute range (epoch ms) of split `name` ("train", "val" or "test") of a model
/// trained on the days its card records.
pub fn split_range_of(card: &ModelCard, name: &str) -> anyhow::Result<(i64, i64)> {
    let (from, to) = day_range(&card.data.from, &card.data.to).with_context(|| format!("model {}: its card's data range", card.name))?;
    match SPLITS.iter().position(|s| *s == name) {
        Some(i) => Ok(split_ranges(from, to)[i]),
        None => anyhow::bail!("unknown split {name:?} (train, val or test)"),
    }
}

/// Where `[from, to)` overlaps the data a model was fitted or selected on (its card's training
/// and validation splits): a sentence for a warning, or `None` when the range is out of sample.
/// A model trained on another symbol is not checked: its splits are of other candles.
pub fn in_sample_overlap(card: &ModelCard, symbol: &str, from: i64, to: i64) -> anyhow::Result<Option<String>> {
    if card.data.symbol != symbol {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for name in ["train", "val"] {
        let (a, b) = split_range_of(card, name)?;
        let (lo, hi) = (from.max(a), to.min(b));
        if lo < hi {
            parts.push(format!("{} minutes of its {name} split ({}..{})", (hi - lo) / 60_000, crate::data::fmt_minute(lo), crate::data::fmt_minute(hi - 60_000)));
        }
    }
    Ok((!parts.is_empty()).then(|| {
        format!(
            "the range overlaps what model {} was trained (train split) or selected (val split) on: {}; scores there are not out of sample (its test split: --split test)",
            card.name,
            parts.join(" and ")
        )
    }))
}

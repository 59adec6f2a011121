//! Day ranges of an archive: `--from` / `--to` days as milliseconds, and the candles a range needs.

use crate::data::{Archive, Series};
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
/// archive has them.
pub fn load_with_margins(archive: &Archive, from: i64, to: i64) -> anyhow::Result<crate::data::Series> {
    let day = 86_400_000;
    let (first, last) = archive.available_days()?.with_context(|| format!("no {} archive files under {}", archive.symbol, archive.root.display()))?;
    let lo = crate::data::parse_day(&first.to_string())?;
    let hi = crate::data::parse_day(&last.to_string())? + day;
    let (a, b) = ((from - day).max(lo), (to + day).min(hi));
    let show = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    anyhow::ensure!(
        a < b,
        "the archive under {} covers {first}..{last}, which does not meet the range asked ({}..{})",
        archive.root.display(),
        show(from),
        show(to - day)
    );
    Ok(archive.load(a, b)?)
}

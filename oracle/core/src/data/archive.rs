//! Reading Binance Vision kline archives from a root folder in the archive's own layout.

use super::{Candle, DataError, Series};
use chrono::{Datelike, NaiveDate};
use std::io::Read;
use std::path::{Path, PathBuf};

const DAY_MS: i64 = 86_400_000;

/// Daily or monthly archive file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Daily,
    Monthly,
}

/// An archive root and a symbol, e.g. `../shared/data/binance-vision` and `BTCUSDT`.
#[derive(Debug, Clone)]
pub struct Archive {
    pub root: PathBuf,
    pub symbol: String,
}

impl Archive {
    pub fn new(root: impl Into<PathBuf>, symbol: &str) -> Self {
        Archive { root: root.into(), symbol: symbol.to_string() }
    }

    /// Path of the daily or monthly file for a date (`YYYY-MM-DD` or `YYYY-MM` part is taken from it).
    pub fn file_path(&self, kind: FileKind, date: NaiveDate) -> PathBuf {
        let s = &self.symbol;
        match kind {
            FileKind::Daily => self.root.join(format!(
                "spot/daily/klines/{s}/1m/{s}-1m-{}.zip",
                date.format("%Y-%m-%d")
            )),
            FileKind::Monthly => self.root.join(format!(
                "spot/monthly/klines/{s}/1m/{s}-1m-{}.zip",
                date.format("%Y-%m")
            )),
        }
    }

    /// Loads every candle whose open time lies in `[from_ms, to_ms)`, from daily files where they
    /// exist and from monthly files for the days that have no daily file. Checks each row and the
    /// order across files; reports gaps and days with no file at all.
    pub fn load(&self, from_ms: i64, to_ms: i64) -> Result<Series, DataError> {
        if to_ms <= from_ms {
            return Err(DataError::Invalid(format!("empty range: {from_ms}..{to_ms}")));
        }
        let first = day_of(from_ms);
        let last = day_of(to_ms - 1);
        let mut candles: Vec<Candle> = Vec::new();
        let mut files = Vec::new();
        let mut missing_days = Vec::new();
        let mut month_cache: Option<(NaiveDate, Vec<Candle>)> = None;
        let mut day = first;
        while day <= last {
            let daily = self.file_path(FileKind::Daily, day);
            let rows: Vec<Candle> = if daily.is_file() {
                files.push(daily.clone());
                read_zip(&daily, Some(day), FileKind::Daily)?
            } else {
                let monthly = self.file_path(FileKind::Monthly, day);
                if monthly.is_file() {
                    let month = day.with_day(1).expect("day 1 exists");
                    if month_cache.as_ref().map(|(m, _)| *m) != Some(month) {
                        files.push(monthly.clone());
                        month_cache = Some((month, read_zip(&monthly, Some(month), FileKind::Monthly)?));
                    }
                    let start = midnight(day);
                    month_cache
                        .as_ref()
                        .expect("just filled")
                        .1
                        .iter()
                        .filter(|c| c.open_time >= start && c.open_time < start + DAY_MS)
                        .copied()
                        .collect()
                } else {
                    missing_days.push(day.format("%Y-%m-%d").to_string());
                    Vec::new()
                }
            };
            candles.extend(rows.into_iter().filter(|c| c.open_time >= from_ms && c.open_time < to_ms));
            day = day.succ_opt().expect("dates do not overflow");
        }
        if files.is_empty() {
            return Err(DataError::NoFiles {
                root: self.root.clone(),
                symbol: self.symbol.clone(),
                from: first.to_string(),
                to: last.to_string(),
            });
        }
        let mut series = Series::from_candles(candles, &format!("{} {}", self.root.display(), self.symbol))?;
        series.files = files;
        series.missing_days = missing_days;
        Ok(series)
    }

    /// The first and last UTC day that have a daily or monthly file, found by listing the folders.
    pub fn available_days(&self) -> Result<Option<(NaiveDate, NaiveDate)>, DataError> {
        let mut days = Vec::new();
        for (kind, sub) in [(FileKind::Daily, "daily"), (FileKind::Monthly, "monthly")] {
            let dir = self.root.join(format!("spot/{sub}/klines/{}/1m", self.symbol));
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let prefix = format!("{}-1m-", self.symbol);
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                let Some(stem) = name.strip_prefix(&prefix).and_then(|n| n.strip_suffix(".zip")) else { continue };
                match kind {
                    FileKind::Daily => {
                        if let Ok(d) = NaiveDate::parse_from_str(stem, "%Y-%m-%d") {
                            days.push((d, d));
                        }
                    }
                    FileKind::Monthly => {
                        if let Ok(d) = NaiveDate::parse_from_str(&format!("{stem}-01"), "%Y-%m-%d") {
                            let next = if d.month() == 12 {
                                NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
                            } else {
                                NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
                            }
                            .expect("valid month");
                            days.push((d, next.pred_opt().expect("valid")));
                        }
                    }
                }
            }
        }
        Ok(days.iter().map(|d| d.0).min().zip(days.iter().map(|d| d.1).max()))
    }
}

fn day_of(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms).expect("valid time").date_naive()
}

fn midnight(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_millis()
}

/// Reads one archive zip (exactly one CSV inside, with at least one row) and checks that every row
/// lies in the file's own day (`Daily`) or month (`Monthly`).
fn read_zip(path: &Path, date: Option<NaiveDate>, kind: FileKind) -> Result<Vec<Candle>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::Io { path: path.into(), source: e })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| DataError::Zip { path: path.into(), reason: e.to_string() })?;
    if zip.len() != 1 {
        return Err(DataError::Zip { path: path.into(), reason: format!("expected one CSV inside, found {} entries", zip.len()) });
    }
    let mut entry = zip.by_index(0).map_err(|e| DataError::Zip { path: path.into(), reason: e.to_string() })?;
    let name = entry.name().map_err(|e| DataError::Zip { path: path.into(), reason: format!("unreadable entry name: {e}") })?.to_string();
    if !entry.is_file() || !name.to_ascii_lowercase().ends_with(".csv") {
        return Err(DataError::Zip { path: path.into(), reason: format!("expected one CSV inside, found {name:?}") });
    }
    // Bytes, not a String: a row that is not UTF-8 is reported with its line by the CSV reader.
    let mut text = Vec::new();
    entry
        .read_to_end(&mut text)
        .map_err(|e| DataError::Zip { path: path.into(), reason: format!("cannot read {name}: {e}") })?;
    drop(entry);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::Zip { path: path.into(), reason: format!("{name} is empty: an archive file holds at least one candle") });
    }
    let candles = read_csv(&text, path)?;
    if let Some(d) = date {
        let (start, end) = match kind {
            FileKind::Daily => (midnight(d), midnight(d) + DAY_MS),
            FileKind::Monthly => {
                let next = if d.month() == 12 {
                    NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
                }
                .expect("valid month");
                (midnight(d), midnight(next))
            }
        };
        if let Some((i, c)) = candles.iter().enumerate().find(|(_, c)| c.open_time < start || c.open_time >= end) {
            return Err(DataError::Row {
                path: path.into(),
                line: i as u64 + 1,
                reason: format!("minute {} lies outside the file's period", super::fmt_minute(c.open_time)),
            });
        }
    }
    Ok(candles)
}

/// Parses a headerless 12-column Binance kline CSV. Timestamps in microseconds (archives from 2025)
/// are converted to milliseconds. Every row is checked; rows must be in strictly increasing order.
pub fn read_csv(bytes: &[u8], path: &Path) -> Result<Vec<Candle>, DataError> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut out: Vec<Candle> = Vec::with_capacity(1440);
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 1;
        let row_err = |reason: String| DataError::Row { path: path.into(), line, reason };
        let rec = rec.map_err(|e| match e.kind() {
            csv::ErrorKind::Utf8 { .. } => row_err("the row is not UTF-8 text".into()),
            _ => row_err(format!("unreadable CSV row: {e}")),
        })?;
        if rec.len() != 12 {
            return Err(row_err(format!("expected 12 columns, found {}", rec.len())));
        }
        let int = |k: usize, name: &str| -> Result<i64, DataError> {
            rec[k].trim().parse::<i64>().map_err(|_| row_err(format!("{name} {:?} is not an integer", &rec[k])))
        };
        let num = |k: usize, name: &str| -> Result<f64, DataError> {
            rec[k].trim().parse::<f64>().map_err(|_| row_err(format!("{name} {:?} is not a number", &rec[k])))
        };
        let to_ms = |t: i64| if t >= 100_000_000_000_000 { t / 1000 } else { t };
        let c = Candle {
            open_time: to_ms(int(0, "open_time")?),
            open: num(1, "open")?,
            high: num(2, "high")?,
            low: num(3, "low")?,
            close: num(4, "close")?,
            volume: num(5, "volume")?,
            close_time: to_ms(int(6, "close_time")?),
            trades: super::trade_count(int(8, "number_of_trades")?).map_err(row_err)?,
        };
        c.check().map_err(row_err)?;
        if let Some(prev) = out.last() {
            if c.open_time <= prev.open_time {
                return Err(DataError::Order { path: path.into(), line, open_time: c.open_time, previous: prev.open_time });
            }
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: &str = "1672531200000,16541.77,16545.70,16508.39,16529.67,282.27,1672531259999,4664856.07,7174,122.45,2023561.97,0";

    #[test]
    fn parses_ms_and_us() {
        let us = "1735689600000000,93576.0,93610.93,93537.5,93610.93,8.21,1735689659999999,768519.8,1317,2.4,224942.8,0";
        let a = read_csv(ROW.as_bytes(), Path::new("a.csv")).unwrap();
        let b = read_csv(us.as_bytes(), Path::new("b.csv")).unwrap();
        assert_eq!(a[0].open_time, 1672531200000);
        assert_eq!(b[0].open_time, 1735689600000);
        assert_eq!(b[0].close_time, 1735689659999);
    }

    #[test]
    fn bad_row_names_file_and_line() {
        let text = format!("{ROW}\n1672531260000,16529.67,16500.0,16600.0,16530.0,1,1672531319999,1,1,1,1,0\n");
        let e = read_csv(text.as_bytes(), Path::new("BTCUSDT-1m-2023-01-01.csv")).unwrap_err().to_string();
        assert!(e.contains("BTCUSDT-1m-2023-01-01.csv, line 2"), "{e}");
        assert!(e.contains("low 16600 is above high 16500"), "{e}");
    }

    #[test]
    fn duplicate_minute_is_an_error() {
        let text = format!("{ROW}\n{ROW}\n");
        let e = read_csv(text.as_bytes(), Path::new("x.csv")).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("out of order or duplicated"), "{e}");
    }

    #[test]
    fn wrong_column_count() {
        let e = read_csv(b"1,2,3\n", Path::new("x.csv")).unwrap_err().to_string();
        assert!(e.contains("line 1: expected 12 columns, found 3"), "{e}");
    }

    #[test]
    fn non_utf8_names_the_line_and_a_negative_trade_count_is_an_error() {
        let mut text = format!("{ROW}\n").into_bytes();
        text.extend_from_slice(b"1672531260000,16529.67,\xff\xfe,16500.0,16530.0,1,1672531319999,1,1,1,1,0\n");
        let e = read_csv(&text, Path::new("x.csv")).unwrap_err().to_string();
        assert!(e.contains("x.csv, line 2: the row is not UTF-8"), "{e}");
        let neg = ROW.replacen(",7174,", ",-3,", 1);
        let e = read_csv(neg.as_bytes(), Path::new("x.csv")).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("number_of_trades -3 is negative"), "{e}");
        let huge = ROW.replacen(",282.27,", ",1e20,", 1);
        let e = read_csv(huge.as_bytes(), Path::new("x.csv")).unwrap_err().to_string();
        assert!(e.contains("x.csv, line 1: minute 2023-01-01 00:00 UTC: volume"), "{e}");
    }

    #[test]
    fn a_zip_without_a_csv_or_with_an_empty_one_is_an_error() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::new(dir.path(), "BTCUSDT");
        let day = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        let path = archive.file_path(FileKind::Daily, day);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let write = |name: &str, body: &[u8]| {
            let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
            if name.ends_with('/') {
                z.add_directory(name, zip::write::SimpleFileOptions::default()).unwrap();
            } else {
                z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
                z.write_all(body).unwrap();
            }
            z.finish().unwrap();
        };
        let (from, to) = (midnight(day), midnight(day) + DAY_MS);
        for (name, body, want) in [
            ("BTCUSDT-1m-2023-01-01.csv", &b""[..], "is empty"),
            ("BTCUSDT-1m-2023-01-01.csv", &b"\n"[..], "is empty"),
            ("readme.txt", &b"hello"[..], "expected one CSV inside, found \"readme.txt\""),
            ("BTCUSDT-1m-2023-01-01/", &b""[..], "expected one CSV inside"),
        ] {
            write(name, body);
            let e = archive.load(from, to).unwrap_err().to_string();
            assert!(e.contains("BTCUSDT-1m-2023-01-01.zip") && e.contains(want), "{name}: {e}");
        }
        write("BTCUSDT-1m-2023-01-01.csv", format!("{ROW}\n").as_bytes());
        assert_eq!(archive.load(from, to).unwrap().candles.len(), 1);
    }

    #[test]
    fn minute_alignment_checked() {
        let text = ROW.replacen("1672531200000", "1672531200500", 1);
        assert!(read_csv(text.as_bytes(), Path::new("x.csv")).is_err());
    }
}

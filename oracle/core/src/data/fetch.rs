//! Downloading Binance's public kline archive (data.binance.vision) into the layout [`Archive`]
//! reads: whole past months as monthly files, other days as daily files, each verified against its
//! published `.CHECKSUM` (sha256) before it takes its final name.
//!
//! Interrupted runs resume: verified files are skipped, and a partial download (`*.zip.part`) is
//! continued with an HTTP `Range` request. Transient failures (timeouts, 5xx, 429/418) are retried
//! with exponential backoff and jitter, honouring `Retry-After`. URLs in errors and logs have
//! their credentials masked ([`crate::redact`]).

use super::{Archive, FileKind};
use anyhow::{anyhow, bail, Context};
use chrono::{Datelike, NaiveDate};
use crate::http::{retry_after, retryable, RetryPolicy};
use crate::redact::{error_chain, redact_url};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Binance's public archive host.
pub const BINANCE_ARCHIVE: &str = "https://data.binance.vision";

/// One archive file to fetch: where it lives on the host (below `data/`) and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: FileKind,
    /// `spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip` (also the path under the root).
    pub rel: String,
    pub dest: PathBuf,
}

/// The files covering the days `[from, to]`: a month entirely inside the range and before the
/// month of `today` comes as one monthly file, every other day as a daily file.
pub fn plan(root: &Path, symbol: &str, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Vec<Item> {
    let archive = Archive::new(root, symbol);
    let this_month = first_of_month(today);
    let mut items = Vec::new();
    let mut day = from;
    while day <= to {
        let month = first_of_month(day);
        let next_month = month.checked_add_months(chrono::Months::new(1)).expect("date in range");
        let month_end = next_month.pred_opt().expect("date in range");
        let (kind, date, step_to) = if day == month && month_end <= to && next_month <= this_month {
            (FileKind::Monthly, month, next_month)
        } else {
            (FileKind::Daily, day, day.succ_opt().expect("date in range"))
        };
        let dest = archive.file_path(kind, date);
        let rel = dest.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
        items.push(Item { kind, rel, dest });
        day = step_to;
    }
    items
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("valid date")
}

/// What a fetch did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    pub files: usize,
    pub downloaded: usize,
    pub skipped_verified: usize,
    pub resumed: usize,
    pub bytes: u64,
    pub retries: usize,
}

/// A fetcher: HTTP client, host and retry policy.
pub struct Fetcher {
    client: reqwest::Client,
    base: String,
    pub retry: RetryPolicy,
}

impl Fetcher {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(30))
            .user_agent(concat!("veriregime/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Fetcher { client, base: base.trim_end_matches('/').to_string(), retry: RetryPolicy::default() })
    }

    fn url(&self, rel: &str) -> String {
        format!("{}/data/{rel}", self.base)
    }

    /// Fetches every item, showing progress on `pb` (one tick per file).
    pub async fn fetch_all(&self, items: &[Item], pb: &indicatif::ProgressBar) -> anyhow::Result<Report> {
        let mut report = Report { files: items.len(), ..Default::default() };
        for item in items {
            pb.set_message(item.rel.rsplit('/').next().unwrap_or_default().to_string());
            self.fetch_one(item, &mut report).await?;
            pb.inc(1);
        }
        Ok(report)
    }

    /// Fetches one file: skipped when it is already there and matches its saved checksum; else its
    /// checksum, then the file (resuming a partial download), verified, then renamed into place.
    pub async fn fetch_one(&self, item: &Item, report: &mut Report) -> anyhow::Result<()> {
        let name = item.rel.rsplit('/').next().unwrap_or_default().to_string();
        let checksum_path = checksum_path(&item.dest);
        if item.dest.is_file() && checksum_path.is_file() {
            let expected = parse_checksum(&std::fs::read_to_string(&checksum_path)?, &name)
                .with_context(|| format!("{}", checksum_path.display()))?;
            if sha256_file(&item.dest)? == expected {
                report.skipped_verified += 1;
                return Ok(());
            }
            tracing::warn!(file = %item.dest.display(), "present but does not match its checksum: downloading again");
        }
        let checksum_url = self.url(&format!("{}.CHECKSUM", item.rel));
        let shown = redact_url(&checksum_url);
        let text = String::from_utf8(self.get_bytes(&checksum_url, report).await?).with_context(|| format!("{shown} is not text"))?;
        let expected = parse_checksum(&text, &name).with_context(|| format!("checksum file {shown}"))?;

        if let Some(dir) = item.dest.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let part = item.dest.with_extension("zip.part");
        let url = self.url(&item.rel);
        self.download(&url, &part, report).await?;
        let got = sha256_file(&part)?;
        if got != expected {
            // A corrupt partial file must not be resumed from: start over next time.
            let _ = std::fs::remove_file(&part);
            bail!("{}: sha256 {got} does not match the published checksum {expected}; the partial file was removed", redact_url(&url));
        }
        std::fs::rename(&part, &item.dest).with_context(|| format!("cannot move {} into place", part.display()))?;
        let tmp = checksum_path.with_extension("CHECKSUM.tmp");
        std::fs::write(&tmp, &text)?;
        std::fs::rename(&tmp, &checksum_path)?;
        report.downloaded += 1;
        Ok(())
    }

    /// GET with retries; the whole body.
    async fn get_bytes(&self, url: &str, report: &mut Report) -> anyhow::Result<Vec<u8>> {
        let shown = redact_url(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let res = self.client.get(url).send().await;
            match res {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(b) => return Ok(b.to_vec()),
                    Err(e) if attempt < self.retry.max_attempts => self.pause(attempt, None, &format!("{shown}: {}", error_chain(&e)), report).await,
                    Err(e) => return Err(anyhow!("{shown}: {} (after {attempt} attempts)", error_chain(&e))),
                },
                Ok(r) => {
                    let status = r.status();
                    let retry_after = retry_after(&r);
                    if retryable(status) && attempt < self.retry.max_attempts {
                        self.pause(attempt, retry_after, &format!("{shown}: HTTP {status}"), report).await;
                    } else {
                        bail!("{shown}: HTTP {status}{}", if status == StatusCode::NOT_FOUND { " (no such archive file: is the day published yet?)" } else { "" });
                    }
                }
                Err(e) if attempt < self.retry.max_attempts => self.pause(attempt, None, &format!("{shown}: {}", error_chain(&e)), report).await,
                Err(e) => return Err(anyhow!("{shown}: {} (after {attempt} attempts)", error_chain(&e))),
            }
        }
    }

    /// Downloads `url` into `part`, continuing an existing partial file with a Range request.
    async fn download(&self, url: &str, part: &Path, report: &mut Report) -> anyhow::Result<()> {
        let shown = redact_url(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
            let mut req = self.client.get(url);
            if have > 0 {
                req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
            }
            let outcome: anyhow::Result<()> = async {
                let mut r = req.send().await?;
                let status = r.status();
                let append = match status {
                    StatusCode::PARTIAL_CONTENT if have > 0 => {
                        report.resumed += 1;
                        true
                    }
                    // Already complete (the server has nothing past the end): verify what we have.
                    StatusCode::RANGE_NOT_SATISFIABLE if have > 0 => return Ok(()),
                    s if s.is_success() => false,
                    s => {
                        let ra = retry_after(&r);
                        return Err(anyhow::Error::new(HttpStatus(s, ra)));
                    }
                };
                let mut f = tokio::fs::OpenOptions::new().create(true).write(true).append(append).truncate(!append).open(part).await?;
                while let Some(chunk) = r.chunk().await? {
                    f.write_all(&chunk).await?;
                    report.bytes += chunk.len() as u64;
                }
                f.flush().await?;
                Ok(())
            }
            .await;
            match outcome {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let (retry, ra) = match e.downcast_ref::<HttpStatus>() {
                        Some(HttpStatus(s, ra)) => (retryable(*s), *ra),
                        None => (true, None), // network error or timeout: keep the bytes, resume
                    };
                    // The error's own text may quote the URL (reqwest's does): scrubbed.
                    let e = anyhow!("{}", error_chain(e.as_ref()));
                    if retry && attempt < self.retry.max_attempts {
                        self.pause(attempt, ra, &format!("{shown}: {e}"), report).await;
                    } else {
                        return Err(e.context(format!("downloading {shown} (after {attempt} attempts)")));
                    }
                }
            }
        }
    }

    async fn pause(&self, attempt: u32, retry_after: Option<Duration>, why: &str, report: &mut Report) {
        report.retries += 1;
        self.retry.pause(attempt, retry_after, why).await;
    }
}

#[derive(Debug)]
struct HttpStatus(StatusCode, Option<Duration>);

impl std::fmt::Display for HttpStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.0)
    }
}

impl std::error::Error for HttpStatus {}

fn checksum_path(dest: &Path) -> PathBuf {
    let mut p = dest.as_os_str().to_owned();
    p.push(".CHECKSUM");
    PathBuf::from(p)
}

/// A Binance `.CHECKSUM` file: `<64 hex>  <file name>`; the name must be the file's.
pub fn parse_checksum(text: &str, name: &str) -> anyhow::Result<String> {
    let mut parts = text.split_whitespace();
    let (Some(hex), Some(file)) = (parts.next(), parts.next()) else { bail!("expected \"<sha256>  <file name>\", got {text:?}") };
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{hex:?} is not a sha256 in hex");
    }
    if file != name {
        bail!("the checksum is for {file}, not {name}");
    }
    Ok(hex.to_ascii_lowercase())
}

pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn whole_past_months_are_monthly_files_the_rest_daily() {
        let items = plan(Path::new("/r"), "BTCUSDT", d("2024-01-30"), d("2024-03-02"), d("2024-03-10"));
        let rels: Vec<&str> = items.iter().map(|i| i.rel.as_str()).collect();
        assert_eq!(
            rels,
            [
                "spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-30.zip",
                "spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-31.zip",
                "spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02.zip",
                "spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-03-01.zip",
                "spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-03-02.zip",
            ]
        );
        // The current month is never monthly: its file does not exist yet.
        let items = plan(Path::new("/r"), "BTCUSDT", d("2024-03-01"), d("2024-03-31"), d("2024-03-31"));
        assert_eq!(items.len(), 31);
        assert!(items.iter().all(|i| i.kind == FileKind::Daily));
    }

    #[tokio::test]
    async fn fetch_errors_mask_the_hosts_credentials() {
        // Nothing listens there: the error names the URL, without its password or key.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut f = Fetcher::new(&format!("http://op:s3cret-pw@127.0.0.1:{port}/k/9aa3d95b3bc440fa88ea12eaa4456161")).unwrap();
        f.retry = RetryPolicy { max_attempts: 2, base_backoff: Duration::from_millis(1), max_wait: Duration::from_millis(10) };
        let dir = tempfile::tempdir().unwrap();
        let items = plan(dir.path(), "BTCUSDT", d("2024-01-01"), d("2024-01-01"), d("2024-03-01"));
        let e = format!("{:#}", f.fetch_one(&items[0], &mut Report::default()).await.unwrap_err());
        assert!(e.contains(&format!("http://***@127.0.0.1:{port}/k/***/data/spot/daily")), "{e}");
        assert!(!e.contains("s3cret-pw") && !e.contains("9aa3d95b3bc440fa88ea12eaa4456161"), "{e}");
    }

    #[test]
    fn checksum_lines_are_checked() {
        let h = "a".repeat(64);
        assert_eq!(parse_checksum(&format!("{h}  X.zip\n"), "X.zip").unwrap(), h);
        assert!(parse_checksum(&format!("{h}  Y.zip"), "X.zip").unwrap_err().to_string().contains("not X.zip"));
        assert!(parse_checksum("zz  X.zip", "X.zip").is_err());
        assert!(parse_checksum("", "X.zip").is_err());
    }
}

//! `data fetch` against a loopback fake of Binance's archive host (data.binance.vision's paths,
//! zip files and `.CHECKSUM` files made from the project's synthetic candles; the project's one
//! fake of Binance, `veriregime_node::exchange::fake`), with faults: 503,
//! 429 with Retry-After, a partial download left by an interrupted run, a corrupt file.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use veriregime_core::data::fetch::{plan, Fetcher, Report};
use veriregime_core::data::{synth_candles, write_daily_archive, Archive, SynthConfig};
use veriregime_node::exchange::fake::{FakeConfig, FakeExchange, Fault};

const SYMBOL: &str = "BTCUSDT";

/// The fake host and the tree it publishes.
struct Host {
    fake: FakeExchange,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Host {
    /// The URL path of a published file.
    fn path(&self, f: &Path) -> String {
        format!("/data/{}", f.strip_prefix(&self.root).unwrap().to_string_lossy())
    }
}

/// Three days of synthetic candles published the way Binance publishes them; returns the host,
/// its base URL and the published files.
async fn start_host() -> (Host, String, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let candles = synth_candles(&SynthConfig { minutes: 3 * 1440, seed: 5, ..Default::default() });
    let files = write_daily_archive(&root, SYMBOL, &candles).unwrap();
    for f in &files {
        let sha = hex::encode(Sha256::digest(std::fs::read(f).unwrap()));
        let name = f.file_name().unwrap().to_string_lossy();
        std::fs::write(format!("{}.CHECKSUM", f.display()), format!("{sha}  {name}\n")).unwrap();
    }
    let mut cfg = FakeConfig::from_candles(SYMBOL, candles, 0, 1.0);
    cfg.archive_root = Some(root.clone());
    let fake = FakeExchange::start(cfg).await.unwrap();
    let url = fake.url.clone();
    (Host { fake, root, _dir: dir }, url, files)
}

fn fetcher(url: &str) -> Fetcher {
    let mut f = Fetcher::new(url).unwrap();
    f.retry.base_backoff = Duration::from_millis(10);
    f
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[tokio::test]
async fn fetches_verifies_retries_and_resumes() {
    let (host, url, files) = start_host().await;
    let out = tempfile::tempdir().unwrap();
    let items = plan(out.path(), SYMBOL, day("2024-01-01"), day("2024-01-03"), day("2026-01-01"));
    assert_eq!(items.len(), 3, "days of a month that is not whole in the range are daily files");

    // Faults: the first day's checksum answers 503 then 429 (Retry-After: 0); the second day's file
    // was half downloaded by an interrupted run.
    host.fake.inject(&format!("{}.CHECKSUM", host.path(&files[0])), [Fault::Status(503), Fault::RateLimited { retry_after_s: 0 }]);
    let whole = std::fs::read(&files[1]).unwrap();
    std::fs::create_dir_all(items[1].dest.parent().unwrap()).unwrap();
    std::fs::write(items[1].dest.with_extension("zip.part"), &whole[..whole.len() / 2]).unwrap();

    let pb = indicatif::ProgressBar::hidden();
    let r: Report = fetcher(&url).fetch_all(&items, &pb).await.unwrap();
    assert_eq!((r.files, r.downloaded, r.skipped_verified, r.resumed, r.retries), (3, 3, 0, 1, 2));
    assert!(host.fake.requests().iter().any(|(p, range)| *p == host.path(&files[1]) && range.as_deref() == Some(&*format!("bytes={}-", whole.len() / 2))));
    for (item, src) in items.iter().zip(&files) {
        assert_eq!(std::fs::read(&item.dest).unwrap(), std::fs::read(src).unwrap());
        assert!(!item.dest.with_extension("zip.part").exists());
    }
    // The reader takes the fetched tree as it is.
    let s = Archive::new(out.path(), SYMBOL).load(day_ms("2024-01-01"), day_ms("2024-01-04")).unwrap();
    assert_eq!(s.candles.len(), 3 * 1440);

    // A second run downloads nothing: every file matches its saved checksum.
    let requests = host.fake.requests().len();
    let r = fetcher(&url).fetch_all(&items, &pb).await.unwrap();
    assert_eq!((r.downloaded, r.skipped_verified), (0, 3));
    assert_eq!(host.fake.requests().len(), requests);
}

#[tokio::test]
async fn a_corrupt_file_is_refused_and_nothing_is_left_under_its_name() {
    let (_host, url, files) = start_host().await;
    // The host serves a file that does not match its published checksum.
    let mut bytes = std::fs::read(&files[2]).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&files[2], bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    let items = plan(out.path(), SYMBOL, day("2024-01-03"), day("2024-01-03"), day("2026-01-01"));
    let e = fetcher(&url).fetch_all(&items, &indicatif::ProgressBar::hidden()).await.unwrap_err().to_string();
    assert!(e.contains("does not match the published checksum") && e.contains("BTCUSDT-1m-2024-01-03.zip"), "{e}");
    assert!(!items[0].dest.exists());
    assert!(!items[0].dest.with_extension("zip.part").exists());
}

#[tokio::test]
async fn a_missing_day_and_persistent_errors_name_the_url() {
    let (host, url, files) = start_host().await;
    let out = tempfile::tempdir().unwrap();
    let items = plan(out.path(), SYMBOL, day("2024-01-05"), day("2024-01-05"), day("2026-01-01"));
    let e = fetcher(&url).fetch_all(&items, &indicatif::ProgressBar::hidden()).await.unwrap_err().to_string();
    assert!(e.contains("404") && e.contains("BTCUSDT-1m-2024-01-05.zip.CHECKSUM"), "{e}");

    let f = fetcher(&url);
    host.fake.inject(&host.path(&files[0]), vec![Fault::Status(502); f.retry.max_attempts as usize]);
    let items = plan(out.path(), SYMBOL, day("2024-01-01"), day("2024-01-01"), day("2026-01-01"));
    let e = format!("{:#}", f.fetch_all(&items, &indicatif::ProgressBar::hidden()).await.unwrap_err());
    assert!(e.contains("502") && e.contains("after 5 attempts"), "{e}");
    assert!(!items[0].dest.exists());
}

fn day_ms(s: &str) -> i64 {
    veriregime_core::data::parse_day(s).unwrap()
}

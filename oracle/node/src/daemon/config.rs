//! The daemon's configuration: a TOML file, overridden by environment variables
//! `VERIREGIME_<SECTION>__<KEY>` (e.g. `VERIREGIME_CHAIN__RPC_URL`). Unknown keys are errors (a
//! typo must not silently fall back to a default), and no error echoes a value (a secret put in
//! the wrong variable must not reach a log): it names the key and what is wrong. The secret parts
//! of the URLs (credentials, API keys) are masked in every message and log. Secrets are never in
//! it: the signing key comes from `VERIREGIME_PRIVATE_KEY` or an encrypted keystore file whose
//! password comes from `VERIREGIME_KEYSTORE_PASSWORD` (or a password file).
//!
//! ```toml
//! [exchange]
//! base_url = "https://api.binance.com"
//!
//! [chain]
//! rpc_url = "http://127.0.0.1:8545"
//! deployments = "deployments/anvil.json"
//! # keystore = "/etc/veriregime/operator.json"   # else VERIREGIME_PRIVATE_KEY
//!
//! [[feeds]]
//! symbol = "BTCUSDT"
//! every_minutes = 1
//!
//! [daemon]
//! db = "var/oracle.db"
//! metrics_listen = "127.0.0.1:9464"
//! ```

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub exchange: ExchangeConfig,
    pub chain: ChainConfig,
    pub model: ModelConfig,
    pub feeds: Vec<FeedConfig>,
    pub daemon: DaemonConfig,
    pub network: NetworkConfig,
    /// The folder relative paths were taken from (the config file's).
    #[serde(skip)]
    pub base: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeConfig {
    pub base_url: String,
    /// Per request.
    pub timeout_ms: u64,
    pub max_attempts: u32,
    pub backoff_ms: u64,
    /// Longest wait between attempts (`Retry-After` included).
    pub max_wait_ms: u64,
    /// Wait after a candle's close before reading it (the exchange finalises it).
    pub settle_ms: u64,
    /// At start (no answer of the exchange's clock taken yet) an answer further than this from the
    /// local clock is not taken: a lying first answer cannot set the node's time. Later, a skew
    /// beyond it is logged and exported as a metric; rounds follow the guarded exchange clock.
    pub max_clock_skew_ms: u64,
    /// An answer of the exchange's clock further than this from the previous one advanced by the
    /// local clock's progress is refused as a jump (unless the exchange's own candles agree).
    pub max_clock_jump_ms: u64,
    /// How often a bad answer (missing or duplicated candles) is asked again before the round is
    /// skipped.
    pub data_attempts: u32,
    /// The window's last close may be at most this far from the symbol's ticker price, in basis
    /// points (klines carry no symbol: this is what shows they are the symbol's).
    pub max_ticker_deviation_bps: u32,
    /// Circuit breaker: a window with a minute moving more than this (high against low, or close
    /// to close), in basis points, is not signed.
    pub max_minute_move_bps: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    pub rpc_url: String,
    /// Deployments file (from `veriregime deploy`): the oracle's address, the chain id.
    pub deployments: PathBuf,
    /// Encrypted JSON keystore (EIP-2335 style, as `cast wallet` writes); without it the key comes
    /// from `VERIREGIME_PRIVATE_KEY`.
    pub keystore: Option<PathBuf>,
    /// File holding the keystore's password; without it `VERIREGIME_KEYSTORE_PASSWORD`.
    pub keystore_password_file: Option<PathBuf>,
    /// Without a receipt after this long, the transaction is replaced (same nonce, higher fees).
    pub confirm_timeout_ms: u64,
    pub max_replacements: u32,
    /// Fee bump per replacement, percent (nodes require at least 10).
    pub fee_bump_percent: u64,
    /// Attempts of an RPC call that fails to connect, with backoff, before the round gives up.
    pub rpc_attempts: u32,
    /// Each RPC call's timeout (a node that accepts connections and never answers).
    pub rpc_timeout_ms: u64,
    /// Backoff between RPC attempts: exponential with full jitter from this, so that the
    /// attempts spread over seconds.
    pub rpc_backoff_ms: u64,
    /// How long a round waits, after its candle closed, for the chain's time to pass the close:
    /// the preflight runs against the pending block (an idle chain's next block is stamped now),
    /// and while the chain's time is still before the close (blocks lag by up to a block time)
    /// it is retried each second up to this long.
    pub max_block_lag_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub dir: PathBuf,
    pub circuit: PathBuf,
    pub prove_timeout_ms: u64,
    /// Attempts of a proof (a crashed or timed-out prover is restarted).
    pub prove_attempts: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub symbol: String,
    /// Decision minutes are those whose minute-of-epoch is a multiple of this.
    pub every_minutes: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    /// The round database (SQLite).
    pub db: PathBuf,
    /// Scratch space for the prover.
    pub work_dir: PathBuf,
    /// Longest sleep between two looks at the exchange's clock.
    pub poll_ms: u64,
    /// Prometheus metrics (`/metrics`) and health (`/health`); none when absent.
    pub metrics_listen: Option<SocketAddr>,
    /// On SIGTERM/SIGINT, how long the round in flight may take to finish before it is abandoned.
    pub shutdown_grace_ms: u64,
}

/// The committee's report exchange ([`crate::network`]). A committee of one needs none of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Where this node serves its reports to its peers; none: it only pulls and pushes.
    pub listen: Option<SocketAddr>,
    /// Base URLs of the other members' servers (`http://host:port`). Who is a member is read from
    /// the chain; a peer listed here that is not one is simply never counted.
    pub peers: Vec<String>,
    /// Per request to a peer.
    pub peer_timeout_ms: u64,
    /// How long a round waits, after this node signed, for k members to sign the same binding.
    pub quorum_timeout_ms: u64,
    /// The member at place r of a minute's transmission schedule takes over when the round is not
    /// on chain this long times r after the candle's close (and settle).
    pub failover_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            exchange: ExchangeConfig {
                base_url: crate::exchange::BINANCE_API.into(),
                timeout_ms: 5_000,
                max_attempts: 5,
                backoff_ms: 300,
                max_wait_ms: 30_000,
                settle_ms: 1_000,
                max_clock_skew_ms: 2_000,
                max_clock_jump_ms: 5_000,
                data_attempts: 3,
                max_ticker_deviation_bps: 300,
                max_minute_move_bps: 2_000,
            },
            chain: ChainConfig {
                rpc_url: "http://127.0.0.1:8545".into(),
                deployments: "deployments/anvil.json".into(),
                keystore: None,
                keystore_password_file: None,
                confirm_timeout_ms: 30_000,
                max_replacements: 3,
                fee_bump_percent: 25,
                rpc_attempts: 5,
                rpc_timeout_ms: 10_000,
                rpc_backoff_ms: 1_000,
                max_block_lag_ms: 60_000,
            },
            model: ModelConfig { dir: "models/student".into(), circuit: "circuits/student".into(), prove_timeout_ms: 120_000, prove_attempts: 2 },
            feeds: vec![FeedConfig { symbol: "BTCUSDT".into(), every_minutes: 1 }],
            daemon: DaemonConfig {
                db: "var/oracle.db".into(),
                work_dir: "var/work".into(),
                poll_ms: 1_000,
                metrics_listen: Some(([127, 0, 0, 1], 9464).into()),
                shutdown_grace_ms: 30_000,
            },
            network: NetworkConfig { listen: None, peers: Vec::new(), peer_timeout_ms: 1_000, quorum_timeout_ms: 10_000, failover_ms: 6_000 },
            base: PathBuf::new(),
        }
    }
}

impl Config {
    /// Defaults, then the file, then `VERIREGIME_<SECTION>__<KEY>` variables. Relative paths are
    /// taken from the file's folder.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        anyhow::ensure!(path.is_file(), "config file {} does not exist", path.display());
        let cfg: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file_exact(path))
            .merge(Env::prefixed("VERIREGIME_").filter(|k| k.as_str().contains("__")).split("__"))
            .extract()
            .map_err(|e| anyhow::anyhow!("config {}: {}", path.display(), describe_error(e)))?;
        // Absolute, so that every message names a path that can be found from anywhere.
        let base = std::path::absolute(path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
            .map_err(|e| anyhow::anyhow!("config {}: its folder: {e}", path.display()))?;
        let cfg = cfg.resolve(&base);
        cfg.validate().map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
        veriregime_core::redact::register_secret(&cfg.chain.rpc_url);
        veriregime_core::redact::register_secret(&cfg.exchange.base_url);
        Ok(cfg)
    }

    fn resolve(mut self, base: &Path) -> Config {
        self.base = base.to_path_buf();
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.chain.deployments);
        fix(&mut self.model.dir);
        fix(&mut self.model.circuit);
        fix(&mut self.daemon.db);
        fix(&mut self.daemon.work_dir);
        if let Some(k) = self.chain.keystore.as_mut() {
            fix(k);
        }
        if let Some(k) = self.chain.keystore_password_file.as_mut() {
            fix(k);
        }
        self
    }

    /// Every file and folder the daemon reads exists; an error names the setting, the path it
    /// resolved to and the folder relative paths are taken from.
    pub fn check_paths(&self) -> Result<(), String> {
        let mut need: Vec<(&str, &Path, bool)> = vec![
            ("chain.deployments", &self.chain.deployments, false),
            ("model.dir", &self.model.dir, true),
            ("model.circuit", &self.model.circuit, true),
        ];
        if let Some(k) = &self.chain.keystore {
            need.push(("chain.keystore", k, false));
        }
        if let Some(k) = &self.chain.keystore_password_file {
            need.push(("chain.keystore_password_file", k, false));
        }
        for (key, path, dir) in need {
            let ok = if dir { path.is_dir() } else { path.is_file() };
            if !ok {
                return Err(format!(
                    "{key}: {} is not an existing {} (relative paths are taken from the config file's folder, {})",
                    path.display(),
                    if dir { "folder" } else { "file" },
                    self.base.display()
                ));
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.feeds.is_empty() {
            return Err("no [[feeds]]".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &self.feeds {
            if f.every_minutes == 0 || f.every_minutes > 1440 {
                return Err(format!("feeds.{}: every_minutes {} is not within 1..=1440", f.symbol, f.every_minutes));
            }
            if !seen.insert(f.symbol.to_uppercase()) {
                return Err(format!("feeds: {} is listed twice", f.symbol));
            }
        }
        if self.chain.fee_bump_percent < 10 {
            return Err(format!("chain.fee_bump_percent {} is below 10 (nodes refuse smaller replacements)", self.chain.fee_bump_percent));
        }
        for (name, v) in [
            ("exchange.max_attempts", self.exchange.max_attempts),
            ("model.prove_attempts", self.model.prove_attempts),
            ("chain.rpc_attempts", self.chain.rpc_attempts),
            ("exchange.data_attempts", self.exchange.data_attempts),
        ] {
            if v == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        for (i, p) in self.network.peers.iter().enumerate() {
            if !p.starts_with("http://") && !p.starts_with("https://") {
                return Err(format!("network.peers[{i}] is not an http(s) URL (its value is not shown)"));
            }
        }
        if self.chain.rpc_timeout_ms == 0 {
            return Err("chain.rpc_timeout_ms must be at least 1".into());
        }
        // The values are not shown: a key put in the wrong variable must not be printed.
        for (name, url) in [("exchange.base_url", &self.exchange.base_url), ("chain.rpc_url", &self.chain.rpc_url)] {
            let ok = (url.starts_with("http://") || url.starts_with("https://")) && url.parse::<reqwest::Url>().is_ok_and(|u| u.host().is_some());
            if !ok {
                return Err(format!("{name} is not an http(s) URL (its value is not shown)"));
            }
        }
        Ok(())
    }

    pub fn sanity_bounds(&self) -> crate::sanity::Bounds {
        crate::sanity::Bounds {
            max_ticker_deviation: self.exchange.max_ticker_deviation_bps as f64 / 10_000.0,
            max_minute_move: self.exchange.max_minute_move_bps as f64 / 10_000.0,
        }
    }

    /// The retries of an RPC call: `chain.rpc_attempts`, backoff from `chain.rpc_backoff_ms`.
    pub fn rpc_retry_policy(&self) -> veriregime_core::http::RetryPolicy {
        use std::time::Duration;
        veriregime_core::http::RetryPolicy {
            max_attempts: self.chain.rpc_attempts,
            base_backoff: Duration::from_millis(self.chain.rpc_backoff_ms),
            max_wait: Duration::from_millis(self.exchange.max_wait_ms.max(self.chain.rpc_backoff_ms)),
        }
    }

    pub fn retry_policy(&self) -> veriregime_core::http::RetryPolicy {
        use std::time::Duration;
        veriregime_core::http::RetryPolicy {
            max_attempts: self.exchange.max_attempts,
            base_backoff: Duration::from_millis(self.exchange.backoff_ms),
            max_wait: Duration::from_millis(self.exchange.max_wait_ms),
        }
    }
}

/// A figment error as `key (source): what is wrong`, without the offending value.
fn describe_error(e: figment::Error) -> String {
    use figment::error::{Actual, Kind};
    let kind_of = |a: &Actual| match a {
        Actual::Bool(_) => "a boolean".to_string(),
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer".into(),
        Actual::Float(_) => "a float".into(),
        Actual::Char(_) | Actual::Str(_) => "a string".into(),
        Actual::Bytes(_) => "bytes".into(),
        Actual::Other(_) => "another type".into(),
        other => other.to_string(),
    };
    e.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let from = e.metadata.as_ref().map(|m| match &m.source {
                Some(src) => format!(" ({} {src})", m.name),
                None => format!(" ({})", m.name),
            });
            let what = match &e.kind {
                Kind::InvalidType(a, expected) => format!("expected {expected}, found {}", kind_of(a)),
                Kind::InvalidValue(a, expected) => format!("invalid value ({}), expected {expected}", kind_of(a)),
                Kind::InvalidLength(n, expected) => format!("{n} items, expected {expected}"),
                Kind::UnknownVariant(_, expected) => format!("unknown variant, expected one of {expected:?}"),
                Kind::UnknownField(name, expected) => format!("unknown key `{name}` (a typo?), expected one of {expected:?}"),
                Kind::MissingField(name) => format!("missing key `{name}`"),
                Kind::DuplicateField(name) => format!("key `{name}` given twice"),
                Kind::ISizeOutOfRange(_) | Kind::USizeOutOfRange(_) => "number out of range".into(),
                Kind::Unsupported(a) => format!("{} is not supported here", kind_of(a)),
                Kind::UnsupportedKey(a, expected) => format!("{} cannot be a key, need {expected}", kind_of(a)),
                // Custom messages of the deserialisers (a socket address that does not parse, ...):
                // scrubbed, as they might quote what they read.
                Kind::Message(m) => veriregime_core::redact::scrub(m),
            };
            format!("{}{}: {what}", if key.is_empty() { "(top level)" } else { &key }, from.unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The operator's signing key: the keystore when configured, else `VERIREGIME_PRIVATE_KEY`.
/// Errors name the setting that is wrong: `chain.keystore` (missing, not a keystore), its
/// password's source (`chain.keystore_password_file` or `VERIREGIME_KEYSTORE_PASSWORD`) when it
/// does not decrypt the keystore.
pub fn load_signer(chain: &ChainConfig) -> anyhow::Result<alloy::signers::local::PrivateKeySigner> {
    use anyhow::Context;
    use veriregime_chain::keys;
    match &chain.keystore {
        Some(path) => {
            let (password, source) = match &chain.keystore_password_file {
                Some(f) => (
                    keys::read_password_file(f).context("chain.keystore_password_file")?,
                    format!("chain.keystore_password_file ({})", f.display()),
                ),
                None => (
                    std::env::var("VERIREGIME_KEYSTORE_PASSWORD")
                        .context("chain.keystore is set: give its password in VERIREGIME_KEYSTORE_PASSWORD or chain.keystore_password_file")?,
                    "VERIREGIME_KEYSTORE_PASSWORD".to_string(),
                ),
            };
            // Masked wherever it might be printed.
            veriregime_core::redact::register_secret(&password);
            keys::open_keystore(path, &password).map_err(|e| {
                let text = e.to_string();
                if text.contains("wrong password") {
                    anyhow::anyhow!("chain.keystore: the password from {source} does not decrypt {} (wrong password, or another keystore)", path.display())
                } else {
                    e.context("chain.keystore")
                }
            })
        }
        None => {
            let key = std::env::var("VERIREGIME_PRIVATE_KEY").context("set VERIREGIME_PRIVATE_KEY (hex) or chain.keystore in the config")?;
            // Masked wherever it might be printed.
            veriregime_core::redact::register_secret(key.trim());
            key.trim().parse().map_err(|_| anyhow::anyhow!("VERIREGIME_PRIVATE_KEY is not a valid hex secp256k1 key"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_and_typos_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("oracle.toml");
        std::fs::write(&p, "[chain]\nrpc_url = \"http://node:8545\"\n[[feeds]]\nsymbol = \"ETHUSDT\"\nevery_minutes = 5\n").unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("VERIREGIME_EXCHANGE__TIMEOUT_MS", "1234");
            jail.set_env("VERIREGIME_PRIVATE_KEY", "not part of the config");
            let c = Config::load(&p).map_err(|e| e.to_string())?;
            assert_eq!(c.chain.rpc_url, "http://node:8545");
            assert_eq!(c.exchange.timeout_ms, 1234);
            assert_eq!(c.feeds[0].every_minutes, 5);
            assert_eq!(c.daemon.db, dir.path().join("var/oracle.db"));
            Ok(())
        });
        std::fs::write(&p, "[chain]\nrpc_ulr = \"x\"\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("rpc_ulr"), "{e}");
        std::fs::write(&p, "[[feeds]]\nsymbol = \"BTCUSDT\"\nevery_minutes = 0\n").unwrap();
        assert!(Config::load(&p).unwrap_err().to_string().contains("every_minutes 0"));
    }

    #[test]
    fn a_missing_path_names_its_setting_and_the_folder_it_is_relative_to() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("oracle.toml");
        std::fs::write(&p, "[chain]\ndeployments = \"deployments/anvil.json\"\n[[feeds]]\nsymbol = \"BTCUSDT\"\nevery_minutes = 1\n").unwrap();
        // In a jail: the other tests set VERIREGIME_ variables while they run.
        let mut c = None;
        figment::Jail::expect_with(|_| {
            c = Some(Config::load(&p).map_err(|e| e.to_string())?);
            Ok(())
        });
        let c = c.unwrap();
        let e = c.check_paths().unwrap_err();
        assert!(e.starts_with("chain.deployments: "), "{e}");
        assert!(e.contains(&dir.path().join("deployments/anvil.json").display().to_string()) && e.contains(&format!("folder, {})", dir.path().display())), "{e}");
        std::fs::create_dir_all(dir.path().join("deployments")).unwrap();
        std::fs::write(dir.path().join("deployments/anvil.json"), "{}").unwrap();
        let e = c.check_paths().unwrap_err();
        assert!(e.starts_with("model.dir: ") && e.contains("not an existing folder"), "{e}");
    }

    #[test]
    fn config_errors_name_the_key_never_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("oracle.toml");
        std::fs::write(&p, "[chain]\nrpc_url = \"http://node:8545\"\n").unwrap();
        let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        // The key put in the wrong variables: a number, a URL.
        for var in ["VERIREGIME_EXCHANGE__TIMEOUT_MS", "VERIREGIME_CHAIN__RPC_URL", "VERIREGIME_EXCHANGE__BASE_URL", "VERIREGIME_DAEMON__METRICS_LISTEN"] {
            figment::Jail::expect_with(|jail| {
                jail.set_env(var, key);
                let e = format!("{:#}", Config::load(&p).unwrap_err());
                assert!(!e.contains(key) && !e.contains(&key[..16]), "{var}: {e}");
                let name = var.trim_start_matches("VERIREGIME_").to_lowercase().replace("__", ".");
                assert!(e.contains(&name), "{var}: {e}");
                Ok(())
            });
        }
        figment::Jail::expect_with(|jail| {
            jail.set_env("VERIREGIME_EXCHANGE__TIMEOUT_MS", "soon");
            let e = format!("{:#}", Config::load(&p).unwrap_err());
            assert!(e.contains("exchange.timeout_ms") && e.contains("found a string") && !e.contains("soon"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_example_config_is_valid_and_complete() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../oracle.example.toml");
        let c = Config::load(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        // Every key of the defaults is shown in the example.
        let defaults = toml_keys(&serde_json::to_value(Config::default()).unwrap());
        for k in defaults {
            assert!(text.contains(&format!("{k} =")) || text.contains(&format!("# {k} =")), "the example lacks {k}");
        }
        assert_eq!(c.feeds[0].symbol, "BTCUSDT");
    }

    fn toml_keys(v: &serde_json::Value) -> Vec<String> {
        let mut out = Vec::new();
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        serde_json::Value::Object(_) => out.extend(toml_keys(v)),
                        serde_json::Value::Array(a) => a.iter().for_each(|x| out.extend(toml_keys(x))),
                        _ => out.push(k.clone()),
                    }
                }
            }
            _ => {}
        }
        out
    }

    #[test]
    fn keystore_is_decrypted_with_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = rand::thread_rng();
        let (signer, _uuid) = alloy::signers::local::PrivateKeySigner::new_keystore(dir.path(), &mut rng, "pw", Some("op.json")).unwrap();
        let pwfile = dir.path().join("pw.txt");
        std::fs::write(&pwfile, "pw\n").unwrap();
        let mut chain = Config::default().chain;
        chain.keystore = Some(dir.path().join("op.json"));
        chain.keystore_password_file = Some(pwfile.clone());
        assert_eq!(load_signer(&chain).unwrap().address(), signer.address());
        std::fs::write(&pwfile, "wrong").unwrap();
        let e = load_signer(&chain).unwrap_err().to_string();
        assert!(e.contains("chain.keystore: the password from chain.keystore_password_file") && e.contains("wrong password"), "{e}");
        chain.keystore = Some(dir.path().join("missing.json"));
        let e = format!("{:#}", load_signer(&chain).unwrap_err());
        assert!(e.starts_with("chain.keystore: cannot read the keystore") && e.contains("missing.json"), "{e}");
        chain.keystore_password_file = Some(dir.path().join("no-pw.txt"));
        let e = format!("{:#}", load_signer(&chain).unwrap_err());
        assert!(e.starts_with("chain.keystore_password_file: cannot read the password file"), "{e}");
    }
}

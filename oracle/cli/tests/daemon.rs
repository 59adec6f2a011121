//! The daemon end to end: the `veriregime oracle run` binary against the loopback fake of Binance
//! (its clock 2x real time, a day behind, so rounds come every 30 s) and a real anvil with the
//! deployed stack, real EZKL proofs and real transactions. On the way: transient exchange faults
//! and a round whose candles stay bad, a `kill -9` while a round is being proved, an anvil restart
//! (state kept on disk) while the daemon runs, a stuck transaction (the node stops mining) that
//! the daemon replaces, and a SIGTERM at the end. Then the chain must hold
//! exactly the rounds the database calls confirmed, and every other minute must be skipped with
//! its reason.
//!
//! Needs what `make test` sets up first (anvil, forge build output, ezkl, the proving key).

mod common;
use common::require_setup;

use alloy::primitives::U256;
use alloy::providers::Provider;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use veriregime_chain::{deploy_stack, Client, ISignalOracle, StackConfig};
use veriregime_node::daemon::store::{RoundRow, Stage, Store};
use veriregime_core::data::{synth_candles, SynthConfig, MINUTE_MS};
use veriregime_node::exchange::fake::{FakeConfig, FakeExchange, Fault};
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::Signaler;

/// anvil's first development account (public knowledge; test chains only).
const KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const SPEED: f64 = 2.0;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// anvil on a fixed port with its state in a file (written when it stops on SIGTERM), so that it
/// can be restarted with the same chain.
struct Node {
    child: Child,
}

impl Node {
    fn start(root: &Path, port: u16, state: &Path) -> Node {
        let child = Command::new(veriregime_zk::prover::npm_tool(root, "anvil"))
            .args(["--port", &port.to_string(), "--state"])
            .arg(state)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("anvil starts");
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(t.elapsed() < Duration::from_secs(30), "anvil did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Node { child }
    }

    fn stop(mut self) {
        term(&self.child);
        let t = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(t.elapsed() < Duration::from_secs(30), "anvil did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn term(c: &Child) {
    // SAFETY: kill(2) on our own child's pid; no memory is shared.
    #[allow(unsafe_code)]
    unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
}

fn daemon(root: &Path, config: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .args(["--log-json", "oracle", "run", "--config"])
        .arg(config)
        .current_dir(root)
        .env("VERIREGIME_PRIVATE_KEY", KEY)
        .env("VERIREGIME_ROOT", root)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the daemon starts")
}

fn rows(db: &Path) -> Vec<RoundRow> {
    match Store::open_read_only(db) {
        Ok(s) => s.all("BTCUSDT").unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

fn confirmed(db: &Path) -> usize {
    rows(db).iter().filter(|r| r.stage == Stage::Confirmed).count()
}

/// Waits for `cond` on the round rows, failing with the log's tail after `secs`.
fn wait_for(db: &Path, log: &Path, secs: u64, what: &str, cond: impl Fn(&[RoundRow]) -> bool) {
    let t = Instant::now();
    loop {
        if cond(&rows(db)) {
            return;
        }
        if t.elapsed() > Duration::from_secs(secs) {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            panic!("timed out waiting for {what}; rounds: {:#?}\nlog tail (newest first):\n{}", rows(db).iter().map(|r| (r.minute, r.stage, r.reason.clone())).collect::<Vec<_>>(), tail.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Whether a prover of this test's daemon (its work folder under `dir`) is running; provers of
/// other runs on the machine do not count.
fn prover_running(dir: &Path) -> bool {
    let dir = dir.display().to_string();
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .map(|c| {
                let c = String::from_utf8_lossy(&c);
                c.contains("ezkl_driver.py\0prove") && c.contains(&dir)
            })
            .unwrap_or(false)
    })
}

/// Everything a daemon run needs: the fake exchange, anvil with the stack deployed, a config.
struct Setup {
    root: PathBuf,
    fake: FakeExchange,
    node: Option<Node>,
    rpc_port: u16,
    state: PathBuf,
    client: Client,
    dep: veriregime_chain::Deployment,
    config: PathBuf,
    db: PathBuf,
    log: PathBuf,
    metrics_port: u16,
}

/// The model and circuit a run uses: the shipped ones, or (soak only) `SOAK_MODEL` and
/// `SOAK_CIRCUIT`, a circuit folder built by `veriregime bench` (its verifier compiled under
/// `<circuit>/forge`).
struct Model {
    dir: PathBuf,
    circuit: PathBuf,
    verifier_build: Option<PathBuf>,
}

impl Model {
    fn shipped(root: &Path) -> Model {
        Model { dir: root.join("models/student"), circuit: root.join("circuits/student"), verifier_build: None }
    }

    fn from_env(root: &Path) -> Model {
        match (std::env::var_os("SOAK_MODEL"), std::env::var_os("SOAK_CIRCUIT")) {
            (None, None) => Model::shipped(root),
            (Some(m), Some(c)) => {
                let abs = |p: std::ffi::OsString| std::fs::canonicalize(root.join(&p)).unwrap_or_else(|e| panic!("{}: {e}", PathBuf::from(p).display()));
                let circuit = abs(c);
                let forge = circuit.join("forge");
                assert!(
                    forge.join("out/Halo2Verifier.sol/Halo2Verifier.json").is_file(),
                    "SOAK_CIRCUIT {} has no compiled verifier under forge/out: build it with `veriregime bench`",
                    circuit.display()
                );
                Model { dir: abs(m), circuit, verifier_build: Some(forge) }
            }
            _ => panic!("set both SOAK_MODEL and SOAK_CIRCUIT, or neither"),
        }
    }
}

fn setup(rt: &tokio::runtime::Runtime, dir: &Path, speed: f64, model: &Model) -> Setup {
    let root = project_root();
    require_setup(&root);

    // The exchange: synthetic candles, the fake's clock a day behind real time (so that the
    // oracle's "not in the future" holds) and running twice as fast.
    let now = chrono::Utc::now().timestamp_millis() / MINUTE_MS * MINUTE_MS;
    let start = now - 2 * 86_400_000;
    let candles = synth_candles(&SynthConfig { start, minutes: 3 * 1440, seed: 11, ..Default::default() });
    let fake = rt.block_on(FakeExchange::start(FakeConfig::from_candles("BTCUSDT", candles, 1440, speed))).unwrap();

    // The chain: anvil with its state on disk, the stack deployed, a 2-day submission window.
    let rpc_port = free_port();
    let state = dir.join("anvil-state.json");
    let node = Node::start(&root, rpc_port, &state);
    let rpc = format!("http://127.0.0.1:{rpc_port}");
    let signaler = Signaler::load(&model.dir, &model.circuit, Ezkl::new(&root)).unwrap();
    let (client, dep) = rt.block_on(async {
        let client = Client::connect(&rpc, KEY).await.unwrap();
        let mut cfg = StackConfig::local("BTCUSDT", signaler.model_id, signaler.manifest.binding, signaler.manifest.output_scale as u8, 42_000);
        cfg.max_delay = 2 * 86_400;
        cfg.verifier_build = model.verifier_build.clone();
        let dep = deploy_stack(&client, &root, &cfg).await.unwrap();
        (client, dep)
    });
    let deployments = dir.join("deployments.json");
    dep.save(&deployments).unwrap();

    let metrics_port = free_port();
    let config = dir.join("oracle.toml");
    std::fs::write(
        &config,
        common::daemon_config(&fake.url, &rpc, Path::new("deployments.json"), &model.dir, &model.circuit, &format!("127.0.0.1:{metrics_port}"), ""),
    )
    .unwrap();
    let db = dir.join("rounds.db");
    let log = dir.join("daemon.log");

    Setup { root, fake, node: Some(node), rpc_port, state, client, dep, config, db, log, metrics_port }
}

#[test]
fn the_daemon_survives_faults_kill_9_and_a_node_restart_without_double_or_silent_rounds() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let Setup { root, fake, node, rpc_port, state, client, dep, config, db, log, metrics_port } = setup(&rt, tmp.path(), SPEED, &Model::shipped(&project_root()));
    let node = node.unwrap();

    // Run 1: two rounds, then a round whose candles stay bad through transient faults.
    let mut d = daemon(&root, &config, &log);
    wait_for(&db, &log, 240, "2 confirmed rounds", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() >= 2);
    let metrics = http_get(metrics_port, "/metrics");
    assert!(metrics.contains("veriregime_rounds_total{feed=\"BTCUSDT\",outcome=\"confirmed\"}"), "{metrics}");
    assert!(metrics.contains("veriregime_stage_seconds_bucket{stage=\"prove\""), "{metrics}");
    assert!(http_get(metrics_port, "/health").starts_with("HTTP/1.1 200"));
    let before = rows(&db).len();
    fake.inject(
        "/api/v3/klines",
        [Fault::Hang(Duration::from_millis(1500)), Fault::Status(500), Fault::RateLimited { retry_after_s: 1 }, Fault::Malformed, Fault::DuplicateCandle, Fault::MissingCandle, Fault::MissingCandle],
    );
    wait_for(&db, &log, 120, "the bad-candles round to be skipped", |r| {
        r.iter().skip(before).any(|r| r.stage == Stage::Skipped && r.reason.as_deref().unwrap_or("").contains("missing minute"))
    });

    // kill -9 while a round is being proved; the prover goes with it.
    wait_for(&db, &log, 120, "a round in proving", |r| r.last().map(|r| r.stage) == Some(Stage::Computed));
    d.kill().unwrap();
    d.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(!prover_running(tmp.path()), "the prover outlived the killed daemon");
    // Over a minute of the fake's clock passes: the interrupted round is superseded on restart.
    std::thread::sleep(Duration::from_secs(35));

    // Run 2: resumes, records what it missed, and rides out an anvil restart.
    let confirmed_before = confirmed(&db);
    let mut d = daemon(&root, &config, &log);
    wait_for(&db, &log, 180, "a round confirmed after the restart", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() > confirmed_before);
    node.stop();
    std::thread::sleep(Duration::from_secs(3));
    let _node = Node::start(&root, rpc_port, &state);
    let confirmed_mid = confirmed(&db);
    wait_for(&db, &log, 240, "2 rounds confirmed after the node restart", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() >= confirmed_mid + 2);
    wait_for(&db, &log, 1, "5 confirmed rounds in all", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() >= 5);

    // A stuck transaction: the node stops mining; the daemon replaces it (same nonce, higher
    // fees); once mined, the replacement is the round's.
    let rpc_call = |method: &'static str, params: serde_json::Value| {
        rt.block_on(client.provider.raw_request::<_, serde_json::Value>(method.into(), params)).unwrap();
    };
    rpc_call("evm_setAutomine", serde_json::json!([false]));
    wait_for(&db, &log, 120, "a replaced transaction", |r| r.last().is_some_and(|r| r.tx_hashes().len() >= 2));
    let stuck_minute = rows(&db).last().unwrap().minute;
    rpc_call("evm_setAutomine", serde_json::json!([true]));
    rpc_call("evm_mine", serde_json::json!([]));
    wait_for(&db, &log, 60, "the replaced round confirmed", |r| r.iter().any(|r| r.minute == stuck_minute && r.stage == Stage::Confirmed));

    // SIGTERM: the round in flight finishes (or is abandoned with a reason), exit 0.
    term(&d);
    let t = Instant::now();
    let status = loop {
        if let Some(s) = d.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "the daemon did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "exit status {status}");

    // The chain holds exactly the confirmed rounds, in order, once each.
    let all = rows(&db);
    let oracle = ISignalOracle::new(dep.oracle, &client.provider);
    let onchain: Vec<(u64, i64)> = rt.block_on(async {
        let n: u64 = oracle.latestRoundId(dep.feed_id).call().await.unwrap().to();
        let mut v = Vec::new();
        for id in 1..=n {
            let r = oracle.getRound(dep.feed_id, U256::from(id)).call().await.unwrap();
            v.push((id, r.decisionMinute as i64 * 1000));
        }
        v
    });
    let db_confirmed: Vec<(u64, i64)> = all.iter().filter(|r| r.stage == Stage::Confirmed).map(|r| (r.round_id.unwrap(), r.minute)).collect();
    assert_eq!(onchain, db_confirmed, "chain rounds vs the database's confirmed rounds");
    assert!(onchain.len() >= 5);

    // No silent loss: every minute from the first to the last has a row, final, and every
    // skipped one says why.
    for w in all.windows(2) {
        assert_eq!(w[1].minute - w[0].minute, MINUTE_MS, "a minute without a row after {}", w[0].minute);
    }
    for r in &all {
        assert!(r.stage.is_final(), "round {} left at {:?}", r.minute, r.stage);
        if r.stage == Stage::Skipped {
            assert!(!r.reason.as_deref().unwrap_or("").is_empty(), "round {} skipped without a reason", r.minute);
        }
    }
    let reasons: Vec<&str> = all.iter().filter_map(|r| r.reason.as_deref()).collect();
    assert!(reasons.iter().any(|r| r.contains("missing minute")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("interrupted at stage computed by a restart")), "{reasons:?}");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(!log_text.contains(KEY), "the key was logged");

    // `oracle status` reads the same database.
    let out = Command::new(env!("CARGO_BIN_EXE_veriregime")).args(["oracle", "status", "--json", "--config"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["counts"]["confirmed"].as_u64().unwrap() as usize, onchain.len());
    assert!(v["latency_s"]["total"]["p50"].as_f64().unwrap() > 0.0);
    eprintln!("{}", serde_json::to_string_pretty(&v["latency_s"]).unwrap());
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// The soak run of the benchmark suite (`make soak`; not part of `make test`): the daemon for
/// SOAK_ROUNDS confirmed rounds (default 30) against the fake exchange and anvil, printing stage
/// latencies (p50/p95) and the daemon's resident memory over time.
#[test]
#[ignore = "soak benchmark: run with `make soak`"]
fn soak() {
    let rounds: usize = std::env::var("SOAK_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let model = Model::from_env(&project_root());
    println!("soak: model {}, circuit {}", model.dir.display(), model.circuit.display());
    let s = setup(&rt, tmp.path(), SPEED, &model);
    let mut d = daemon(&s.root, &s.config, &s.log);
    let t0 = Instant::now();
    let mut memory: Vec<(u64, u64)> = Vec::new();
    let mut last_sample = Instant::now() - Duration::from_secs(60);
    while confirmed(&s.db) < rounds {
        assert!(d.try_wait().unwrap().is_none(), "the daemon exited");
        assert!(t0.elapsed() < Duration::from_secs(120 * rounds as u64), "too slow: {} of {rounds} rounds", confirmed(&s.db));
        if last_sample.elapsed() >= Duration::from_secs(10) {
            if let Some(kib) = rss_kib(d.id()).filter(|k| *k > 0) {
                memory.push((t0.elapsed().as_secs(), kib));
            }
            last_sample = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    term(&d);
    d.wait().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_veriregime")).args(["oracle", "status", "--json", "--config"]).arg(&s.config).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = rows(&s.db);
    let skipped: Vec<_> = all.iter().filter(|r| r.stage == Stage::Skipped).map(|r| r.reason.clone().unwrap_or_default()).collect();
    println!("soak: {} rounds confirmed, {} skipped in {:.0} s", confirmed(&s.db), skipped.len(), t0.elapsed().as_secs_f64());
    for r in &skipped {
        println!("  skipped: {r}");
    }
    println!("stage latencies (s; after_close in exchange-clock seconds at {SPEED}x):");
    if let Some(m) = v["latency_s"].as_object() {
        for (k, x) in m {
            println!("  {k:>11}: p50 {:>7.3}  p95 {:>7.3}  max {:>7.3}  (n {})", x["p50"].as_f64().unwrap_or(0.0), x["p95"].as_f64().unwrap_or(0.0), x["max"].as_f64().unwrap_or(0.0), x["n"]);
        }
    }
    let mib = |k: u64| k as f64 / 1024.0;
    println!("daemon RSS over time (s: MiB): {}", memory.iter().map(|(t, k)| format!("{t}: {:.0}", mib(*k))).collect::<Vec<_>>().join(", "));
    if let (Some(first), Some(last)) = (memory.first(), memory.last()) {
        let max = memory.iter().map(|m| m.1).max().unwrap_or(0);
        println!("daemon RSS: first {:.0} MiB, last {:.0} MiB, max {:.0} MiB", mib(first.1), mib(last.1), mib(max));
    }
}

//! The daemon end to end: the `veriregime oracle run` binary against the loopback fake of Binance
//! (its clock 2x real time, a day behind, so rounds come every 30 s) and a real anvil with the
//! deployed stack, real EZKL proofs and real transactions. On the way: transient exchange faults
//! and a round whose candles stay bad, a `kill -9` while a round is being proved, an anvil restart
//! (state kept on disk) while the daemon runs, a stuck transaction (the node stops mining) that
//! the daemon replaces, and a SIGTERM at the end. Also the faults of issue 28: exchange clock
//! answers 10 minutes and a year ahead (one each while running, two in a row at a restart), the
//! exchange answering 503 for a while, an RPC node that accepts connections and never answers
//! (a proxy in front of anvil that stops forwarding), and the prover's environment read from
//! `/proc/PID/environ`. Then the chain must hold exactly the rounds the database calls confirmed,
//! every other minute must be skipped with its reason, no row may be for a minute that has not
//! come, and neither the key nor the RPC URL's password may appear in the log or the status.
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
        // The native binary: the npm wrapper's child would outlive a killed wrapper.
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

/// A daemon process, killed when the test ends without stopping it (a failed assertion).
struct DaemonProc(Child);

impl std::ops::Deref for DaemonProc {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for DaemonProc {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for DaemonProc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn daemon(root: &Path, config: &Path, log: &Path) -> DaemonProc {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    DaemonProc(
        Command::new(env!("CARGO_BIN_EXE_veriregime"))
            .args(["--log-json", "oracle", "run", "--config"])
            .arg(config)
            .current_dir(root)
            .env("VERIREGIME_PRIVATE_KEY", KEY)
            .env("VERIREGIME_ROOT", root)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the daemon starts"),
    )
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

/// The environment of this test's running prover child (its work folder under `dir`), when
/// there is one.
fn prover_environ(dir: &Path) -> Option<Vec<u8>> {
    let dir = dir.display().to_string();
    std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        (cmd.contains("ezkl_driver.py\0prove") && cmd.contains(&dir)).then(|| std::fs::read(e.path().join("environ")).ok()).flatten()
    })
}

/// `/health`'s status code and JSON body.
fn health(port: u16) -> (u16, serde_json::Value) {
    let text = http_get(port, "/health");
    let code = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (code, serde_json::from_str(body).unwrap_or_default())
}

/// Waits for `/health` to satisfy `cond`, failing with the log's tail after `secs`.
fn wait_health(port: u16, log: &Path, secs: u64, what: &str, cond: impl Fn(u16, &serde_json::Value) -> bool) -> serde_json::Value {
    let t = Instant::now();
    loop {
        let (code, v) = health(port);
        if cond(code, &v) {
            return v;
        }
        if t.elapsed() > Duration::from_secs(secs) {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            panic!("timed out waiting for /health: {what}; last {code} {v}\nlog tail (newest first):\n{}", tail.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A TCP proxy in front of the RPC node that can stop answering: hung, it accepts connections
/// and never answers (and cuts the ones it was forwarding), as a node that hangs does.
struct RpcProxy {
    port: u16,
    hung: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Connections being forwarded (cut when it hangs) and connections held unanswered.
    forwarding: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
    held: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl RpcProxy {
    fn start(upstream: u16) -> RpcProxy {
        use std::net::{Shutdown, TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = RpcProxy { port, hung: Default::default(), forwarding: Default::default(), held: Default::default() };
        let (hung, forwarding, held) = (p.hung.clone(), p.forwarding.clone(), p.held.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if hung.load(std::sync::atomic::Ordering::SeqCst) {
                    held.lock().unwrap().push(client);
                    continue;
                }
                let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                forwarding.lock().unwrap().extend([client.try_clone().unwrap(), up.try_clone().unwrap()]);
                for (mut a, mut b) in [(client.try_clone().unwrap(), up.try_clone().unwrap()), (up, client)] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut a, &mut b);
                        let _ = b.shutdown(Shutdown::Write);
                    });
                }
            }
        });
        p
    }

    fn hang(&self, on: bool) {
        self.hung.store(on, std::sync::atomic::Ordering::SeqCst);
        if on {
            for c in self.forwarding.lock().unwrap().drain(..) {
                let _ = c.shutdown(std::net::Shutdown::Both);
            }
        } else {
            self.held.lock().unwrap().clear();
        }
    }
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
    proxy: RpcProxy,
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

/// `clock_ms`: the fake exchange's clock at start; `None`: a day behind real time. `heartbeat`:
/// the feed's, seconds (60: a round every minute).
fn setup(rt: &tokio::runtime::Runtime, dir: &Path, speed: f64, clock_ms: Option<i64>, model: &Model, heartbeat: u32) -> Setup {
    let root = project_root();
    require_setup(&root);

    // The exchange: synthetic candles, the fake's clock a day behind real time (so that the
    // oracle's "not in the future" holds) and running twice as fast.
    let now = chrono::Utc::now().timestamp_millis() / MINUTE_MS * MINUTE_MS;
    let start = now - 2 * 86_400_000;
    let candles = synth_candles(&SynthConfig { start, minutes: 3 * 1440, seed: 11, ..Default::default() });
    let mut fake_cfg = FakeConfig::from_candles("BTCUSDT", candles, 1440, speed);
    if let Some(t) = clock_ms {
        fake_cfg.start_ms = t;
    }
    let fake = rt.block_on(FakeExchange::start(fake_cfg)).unwrap();

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
        cfg.heartbeat = heartbeat;
        cfg.verifier_build = model.verifier_build.clone();
        let dep = deploy_stack(&client, &root, &cfg).await.unwrap();
        (client, dep)
    });
    let deployments = dir.join("deployments.json");
    dep.save(&deployments).unwrap();

    // The daemon reaches anvil through a proxy that can hang, with a password in the URL that
    // must never be printed.
    let proxy = RpcProxy::start(rpc_port);
    let metrics_port = free_port();
    let config = dir.join("oracle.toml");
    std::fs::write(
        &config,
        common::daemon_config(
            &fake.url,
            &format!("http://op:{RPC_PASSWORD}@127.0.0.1:{}", proxy.port),
            Path::new("deployments.json"),
            &model.dir,
            &model.circuit,
            &format!("127.0.0.1:{metrics_port}"),
            "",
        ),
    )
    .unwrap();
    let db = dir.join("rounds.db");
    let log = dir.join("daemon.log");

    Setup { root, fake, node: Some(node), rpc_port, proxy, state, client, dep, config, db, log, metrics_port }
}

/// The password in the daemon's RPC URL: never in a log or a status.
const RPC_PASSWORD: &str = "s3cret-rpc-pw";
const YEAR_MS: i64 = 365 * 86_400_000;

/// No row for a minute that has not come by the fake's (true) clock.
fn no_future_rows(db: &Path, fake: &FakeExchange) {
    let now = fake.now_ms();
    let future: Vec<i64> = rows(db).iter().map(|r| r.minute).filter(|m| *m + MINUTE_MS > now).collect();
    assert!(future.is_empty(), "rows for minutes that have not closed: {future:?} (now {now})");
}

/// One test of this binary at a time: each drives a prover and a chain, and their waits are
/// sized for the cores to themselves.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_daemon_survives_faults_kill_9_and_a_node_restart_without_double_or_silent_rounds() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let Setup { root, fake, node, rpc_port, proxy, state, client, dep, config, db, log, metrics_port } = setup(&rt, tmp.path(), SPEED, None, &Model::shipped(&project_root()), 60);
    let node = node.unwrap();

    // Run 1: two rounds, then a round whose candles stay bad through transient faults.
    let mut d = daemon(&root, &config, &log);
    wait_for(&db, &log, 240, "2 confirmed rounds", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() >= 2);
    let metrics = http_get(metrics_port, "/metrics");
    assert!(metrics.contains("veriregime_rounds_total{feed=\"BTCUSDT\",outcome=\"confirmed\"}"), "{metrics}");
    assert!(metrics.contains("veriregime_stage_seconds_bucket{stage=\"prove\""), "{metrics}");
    let (code, h) = health(metrics_port);
    assert_eq!(code, 200, "{h}");
    assert_eq!((h["exchange"]["up"].as_bool(), h["chain"]["up"].as_bool()), (Some(true), Some(true)), "{h}");

    // One clock answer 10 minutes ahead, then one a year ahead: refused, logged, no row for a
    // minute that has not come, and rounds go on.
    for off in [10 * MINUTE_MS, YEAR_MS] {
        let confirmed_before = confirmed(&db);
        fake.inject("/api/v3/time", [Fault::ClockOffset(off)]);
        wait_for(&db, &log, 120, "a round confirmed after a lying clock answer", |r| {
            r.iter().filter(|r| r.stage == Stage::Confirmed).count() > confirmed_before
        });
        no_future_rows(&db, &fake);
    }
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.lines().filter(|l| l.contains("exchange clock jumped by")).count() >= 2, "each jump is logged as what it is");
    assert!(http_get(metrics_port, "/metrics").contains("veriregime_exchange_clock_jumps_total 2"));
    let before = rows(&db).len();
    // The window's requests (startTime given), not the daemon's look at the latest candle.
    fake.inject(
        "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime",
        [Fault::Hang(Duration::from_millis(1500)), Fault::Status(500), Fault::RateLimited { retry_after_s: 1 }, Fault::Malformed, Fault::DuplicateCandle, Fault::MissingCandle, Fault::MissingCandle],
    );
    wait_for(&db, &log, 120, "the bad-candles round to be skipped", |r| {
        r.iter().skip(before).any(|r| r.stage == Stage::Skipped && r.reason.as_deref().unwrap_or("").contains("missing minute"))
    });

    // kill -9 while a round is being proved; the prover goes with it. Its environment first: no
    // key, no password.
    wait_for(&db, &log, 120, "a round in proving", |r| r.last().map(|r| r.stage) == Some(Stage::Computed));
    let t = Instant::now();
    let env = loop {
        if let Some(e) = prover_environ(tmp.path()) {
            break e;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "no prover child seen");
        std::thread::sleep(Duration::from_millis(50));
    };
    let env = String::from_utf8_lossy(&env);
    assert!(env.contains("PATH=") && env.contains("VERIREGIME_ROOT="), "{env}");
    assert!(!env.contains("VERIREGIME_PRIVATE_KEY") && !env.contains(KEY) && !env.contains(RPC_PASSWORD), "the prover child got a secret: {env}");
    d.kill().unwrap();
    d.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(!prover_running(tmp.path()), "the prover outlived the killed daemon");
    // Over a minute of the fake's clock passes: the interrupted round is superseded on restart.
    std::thread::sleep(Duration::from_secs(35));

    // Run 2: resumes, records what it missed, and rides out an anvil restart. Its first two clock
    // answers are the same lie (a year ahead): not followed.
    let confirmed_before = confirmed(&db);
    fake.inject("/api/v3/time", [Fault::ClockOffset(YEAR_MS), Fault::ClockOffset(YEAR_MS)]);
    let mut d = daemon(&root, &config, &log);
    wait_for(&db, &log, 180, "a round confirmed after the restart", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() > confirmed_before);
    no_future_rows(&db, &fake);
    assert!(std::fs::read_to_string(&log).unwrap().contains("exchange clock at start"), "the lies at start are logged");

    // The exchange answers 503 for a while: /health says it is down, then up again.
    fake.inject("/api/v3/time", vec![Fault::Status(503); 100_000]);
    fake.inject("/api/v3/klines", vec![Fault::Status(503); 100_000]);
    let down_at = Instant::now();
    let h = wait_health(metrics_port, &log, 120, "the exchange down", |c, v| c == 503 && v["down"] == serde_json::json!(["exchange"]));
    eprintln!("exchange 503: /health said the exchange is down after {:.1} s: {h}", down_at.elapsed().as_secs_f64());
    assert!(h["exchange"]["since"].is_string() && h["exchange"]["reason"].as_str().unwrap_or("").contains("503"), "{h}");
    std::thread::sleep(Duration::from_secs(5));
    fake.clear_faults();
    wait_health(metrics_port, &log, 60, "the exchange up again", |c, _| c == 200);

    // The node accepts connections and never answers: each call times out and is retried,
    // /health says the chain is down; then it answers again and rounds go on.
    proxy.hang(true);
    let hung_at = Instant::now();
    // The calls in flight when it hangs are cut ("connection closed"); those after it time out.
    let h = wait_health(metrics_port, &log, 180, "the chain down, timing out", |c, v| {
        c == 503 && v["down"] == serde_json::json!(["chain"]) && v["chain"]["reason"].as_str().unwrap_or("").contains("timed out")
    });
    eprintln!("hung node: /health said the chain is down after {:.1} s: {h}", hung_at.elapsed().as_secs_f64());
    let t = Instant::now();
    while !std::fs::read_to_string(&log).unwrap().lines().any(|l| l.contains("timed out") && l.contains("retrying")) {
        assert!(t.elapsed() < Duration::from_secs(60), "no retried timeout in the log");
        std::thread::sleep(Duration::from_millis(250));
    }
    proxy.hang(false);
    wait_health(metrics_port, &log, 120, "the chain up again", |c, _| c == 200);
    let confirmed_hung = confirmed(&db);
    wait_for(&db, &log, 180, "a round confirmed after the hung node", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() > confirmed_hung);
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

    // What a node checks alone before signing: a ticker that is not the candles' symbol's, then
    // candles that jump 50 % every other minute (the circuit breaker). Each round is skipped with
    // the reason and nothing reaches the chain for it; then rounds go on.
    for (what, start, stop, reason) in [
        ("the ticker check", (|f: &FakeExchange| f.scale_ticker(1.10)) as fn(&FakeExchange), (|f: &FakeExchange| f.scale_ticker(1.0)) as fn(&FakeExchange), "ticker price"),
        ("the circuit breaker", |f: &FakeExchange| f.scale_prices(1.5), |f: &FakeExchange| f.scale_prices(1.0), "circuit breaker"),
    ] {
        let before = rows(&db).len();
        start(&fake);
        wait_for(&db, &log, 180, what, |r| {
            r.iter().skip(before).any(|r| {
                r.stage == Stage::Skipped
                    && r.reason.as_deref().unwrap_or("").contains("refused before signing")
                    && r.reason.as_deref().unwrap_or("").contains(reason)
            })
        });
        stop(&fake);
        let c = confirmed(&db);
        wait_for(&db, &log, 180, &format!("a round confirmed after {what}"), |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() > c);
    }
    assert!(http_get(metrics_port, "/metrics").contains("veriregime_errors_total{kind=\"sanity\"}"), "sanity refusals counted");

    // An operator that cannot pay: the round is skipped as "insufficient funds", no transaction is
    // recorded or replaced for it, the balance gauge says 0; funded again, rounds go on.
    let operator = format!("{:#x}", client.from);
    let funds: U256 = rt.block_on(async { client.provider.get_balance(client.from).await }).unwrap();
    rpc_call("anvil_setBalance", serde_json::json!([operator, "0x0"]));
    let is_poor = |r: &RoundRow| r.stage == Stage::Skipped && r.reason.as_deref().unwrap_or("").contains("insufficient funds");
    wait_for(&db, &log, 180, "a round skipped for want of funds", |r| r.iter().any(is_poor));
    let poor = rows(&db).into_iter().find(is_poor).unwrap();
    assert!(poor.tx_hashes().is_empty(), "a transaction was recorded for an account that cannot pay: {:?}", poor.tx_hashes());
    assert!(http_get(metrics_port, "/metrics").contains("veriregime_operator_balance_eth 0"), "the balance gauge");
    rpc_call("anvil_setBalance", serde_json::json!([operator, format!("{funds:#x}")]));
    let confirmed_funded = confirmed(&db);
    wait_for(&db, &log, 180, "a round confirmed once funded", |r| r.iter().filter(|r| r.stage == Stage::Confirmed).count() > confirmed_funded);

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
    assert!(!log_text.contains(RPC_PASSWORD), "the RPC URL's password was logged");
    // The database stays as small as the minutes that came: one row each, none in the future.
    no_future_rows(&db, &fake);
    let span = (all.last().unwrap().minute - all[0].minute) / MINUTE_MS + 1;
    assert_eq!(all.len() as i64, span);
    let db_bytes: u64 = ["rounds.db", "rounds.db-wal"].iter().filter_map(|f| std::fs::metadata(db.with_file_name(f)).ok()).map(|m| m.len()).sum();
    assert!(db_bytes < 20 << 20, "database and WAL: {db_bytes} bytes for {} rows", all.len());
    let jumps = log_text.lines().filter(|l| l.contains("exchange clock jumped by")).count();
    let skipped: Vec<&str> = all.iter().filter(|r| r.stage == Stage::Skipped).filter_map(|r| r.reason.as_deref()).collect();
    eprintln!("rows {}, database and WAL {db_bytes} bytes, {jumps} clock jumps logged; skipped: {skipped:#?}", all.len());

    // `oracle status` reads the same database.
    let out = Command::new(env!("CARGO_BIN_EXE_veriregime")).args(["oracle", "status", "--json", "--config"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(RPC_PASSWORD), "the status shows the RPC password");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["counts"]["confirmed"].as_u64().unwrap() as usize, onchain.len());
    assert!(v["latency_s"]["total"]["p50"].as_f64().unwrap() > 0.0);
    // Typed values: the class by name, the logits as numbers.
    let r = v["rounds"].as_array().unwrap().iter().find(|r| r["stage"] == "confirmed").expect("a confirmed round in the status");
    assert!(["SELL", "HOLD", "BUY"].contains(&r["signal"].as_str().unwrap_or("")), "{r}");
    assert_eq!(r["logits"].as_array().map(|l| l.iter().filter(|x| x.is_f64()).count()), Some(3), "{r}");
    eprintln!("{}", serde_json::to_string_pretty(&v["latency_s"]).unwrap());
}

/// Rounds are not lost to a chain whose time lags the candles. The fake exchange runs at real
/// time, so each decision candle closes at the chain's present: first on an idle anvil (it mines
/// only when a transaction comes, so its latest block is as old as the previous round), then with
/// a block every 12 s (the latest block up to 12 s behind the close).
#[test]
fn rounds_are_not_lost_to_an_idle_chain_or_12_s_blocks() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let s = setup(&rt, tmp.path(), 1.0, Some(chrono::Utc::now().timestamp_millis()), &Model::shipped(&project_root()), 60);
    let mut d = daemon(&s.root, &s.config, &s.log);
    let count = |r: &[RoundRow]| r.iter().filter(|r| r.stage == Stage::Confirmed).count();
    wait_for(&s.db, &s.log, 300, "2 rounds confirmed on an idle chain", |r| count(r) >= 2);
    rt.block_on(s.client.provider.raw_request::<_, serde_json::Value>("evm_setIntervalMining".into(), serde_json::json!([12]))).unwrap();
    let idle = confirmed(&s.db);
    wait_for(&s.db, &s.log, 300, "2 rounds confirmed with 12 s blocks", |r| count(r) >= idle + 2);
    term(&d);
    d.wait().unwrap();
    let lost: Vec<String> = rows(&s.db).iter().filter_map(|r| r.reason.clone()).filter(|r| r.contains("MinuteInFuture") || r.contains("chain's time")).collect();
    assert!(lost.is_empty(), "rounds lost to the chain's time: {lost:?}");
    let log = std::fs::read_to_string(&s.log).unwrap();
    eprintln!(
        "idle chain: {idle} confirmed; 12 s blocks: {} more; waits for a later block logged: {}",
        confirmed(&s.db) - idle,
        log.matches("waiting for a later block").count()
    );
}

/// Publish on change and heartbeat: with a feed heartbeat of 3 minutes the node transmits the
/// first round, every change of the signal and an unchanged round 3 minutes after the last; every
/// other minute is recorded as unchanged with its reason. The chain holds exactly the confirmed
/// rows, each transmission obeys the rule, and each unchanged row says what the chain says.
#[test]
fn a_feed_with_a_heartbeat_transmits_changes_and_heartbeats_and_records_the_rest() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const HEARTBEAT_S: u64 = 180;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let s = setup(&rt, tmp.path(), SPEED, None, &Model::shipped(&project_root()), HEARTBEAT_S as u32);
    let mut d = daemon(&s.root, &s.config, &s.log);
    let done = |r: &[RoundRow]| r.iter().filter(|r| r.stage.is_final()).count();
    let unchanged = |r: &[RoundRow]| r.iter().filter(|r| r.stage == Stage::Unchanged).count();
    wait_for(&s.db, &s.log, 600, "10 rounds decided, 2 of them unchanged", |r| done(r) >= 10 && unchanged(r) >= 2);
    let metrics = http_get(s.metrics_port, "/metrics");
    term(&d);
    d.wait().unwrap();

    let rows: Vec<RoundRow> = rows(&s.db).into_iter().filter(|r| r.stage.is_final()).collect();
    let oracle = ISignalOracle::new(s.dep.oracle, &s.client.provider);
    let latest = rt.block_on(async { oracle.latestRoundId(s.dep.feed_id).call().await }).unwrap().to::<u64>();
    let chain: Vec<(u64, u8)> = (1..=latest)
        .map(|id| {
            let r = rt.block_on(async { oracle.getRound(s.dep.feed_id, U256::from(id)).call().await }).unwrap();
            (r.decisionMinute, r.signal as u8)
        })
        .collect();
    let confirmed: Vec<u64> = rows.iter().filter(|r| r.stage == Stage::Confirmed).map(|r| (r.minute / 1000) as u64).collect();
    assert_eq!(chain.iter().map(|c| c.0).collect::<Vec<_>>(), confirmed, "the chain holds exactly the confirmed rows");
    // Each transmission after the first is a change or a heartbeat, and no unchanged stretch
    // outlasts the heartbeat (minutes skipped in between, if any, delay it by as many).
    for w in chain.windows(2) {
        let ((m0, s0), (m1, s1)) = (w[0], w[1]);
        assert!(s1 != s0 || m1 - m0 >= HEARTBEAT_S, "round at {m1} repeats {s0} only {} s after the last", m1 - m0);
        let skipped = rows.iter().filter(|r| r.stage == Stage::Skipped && (m0..m1).contains(&((r.minute / 1000) as u64))).count() as u64;
        assert!(m1 - m0 <= HEARTBEAT_S + 60 * skipped, "{} s between rounds at {m0} and {m1}", m1 - m0);
    }
    // Each unchanged minute carries the signal of the round on chain before it, and says so.
    for r in rows.iter().filter(|r| r.stage == Stage::Unchanged) {
        let m = (r.minute / 1000) as u64;
        let before = chain.iter().rev().find(|c| c.0 < m).unwrap_or_else(|| panic!("unchanged minute {m} before any round"));
        assert_eq!(r.signal, Some(before.1), "unchanged minute {m}");
        assert!(m - before.0 < HEARTBEAT_S, "minute {m} was due for the heartbeat");
        assert!(r.reason.as_deref().unwrap_or("").starts_with("unchanged: "), "{:?}", r.reason);
    }
    assert!(metrics.contains("outcome=\"unchanged\""), "{metrics}");
    let skipped: Vec<_> = rows.iter().filter(|r| r.stage == Stage::Skipped).map(|r| (r.minute, r.reason.clone())).collect();
    eprintln!("{} rounds: {} transmitted, {} unchanged, skipped {skipped:?}", rows.len(), chain.len(), unchanged(&rows));
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
    let s = setup(&rt, tmp.path(), SPEED, None, &model, 60);
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

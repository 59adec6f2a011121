//! The oracle network end to end: three `veriregime oracle run` processes, a committee of 2 of 3
//! on the oracle, each node on its own loopback address (127.0.0.2-4) with its own database and
//! its own connection to the exchange, the loopback fake of Binance (its clock 2x real time, a day
//! behind) and a real anvil, real EZKL proofs and real transactions. Peers reach each other
//! through loopback relays the test can cut, so a node can be cut off from its peers while it
//! still sees the chain and the exchange.
//!
//! On the way: one node served other candles (its binding is never on chain, it records its
//! disagreement), the minute's transmitter killed with `kill -9` mid-round (the next member sends
//! the minute), one node down (rounds go on), two down ("no quorum", nothing submitted), a node
//! cut off from its peers and back (it records what it missed). At the end the chain holds exactly
//! the rounds every node's database calls confirmed, each minute once, and every other minute is
//! skipped with a reason on every node.
//!
//! Needs what `make test` sets up first (anvil, forge build output, ezkl, the proving key).

mod common;
use common::require_setup;

use alloy::node_bindings::Anvil;
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use veriregime_chain::committee::read_round;
use veriregime_chain::{deploy_stack, Client, Committee, ISignalOracle, StackConfig};
use veriregime_core::data::{synth_candles, SynthConfig, MINUTE_MS};
use veriregime_node::daemon::store::{RoundRow, Stage, Store};
use veriregime_node::exchange::fake::{FakeConfig, FakeExchange};
use veriregime_zk::prover::{npm_tool, project_root, Ezkl};
use veriregime_zk::Signaler;

/// anvil's development accounts (public knowledge; test chains only): the deployer, then the
/// three members.
const DEPLOYER: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const MEMBER_KEYS: [&str; 3] = [
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];
const SPEED: f64 = 2.0;
const FAILOVER_MS: u64 = 8_000;

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port()
}

/// A relay from one node to a peer's server that the test can cut (connections are then dropped
/// as they come), standing in for the network between two operators.
struct Relay {
    port: u16,
}

impl Relay {
    fn start(rt: &tokio::runtime::Runtime, to: std::net::SocketAddr, cut: [Arc<AtomicBool>; 2]) -> Relay {
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if cut.iter().any(|c| c.load(Ordering::SeqCst)) {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
            }
        });
        Relay { port }
    }
}

/// One member's node: its key, addresses, files and process.
struct Member {
    name: &'static str,
    key: &'static str,
    address: Address,
    dir: PathBuf,
    config: PathBuf,
    db: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    /// How often it was started (its log says "ready" once per start).
    starts: usize,
    /// Cuts every relay to and from this node.
    cut: Arc<AtomicBool>,
}

impl Member {
    fn start(&mut self) {
        assert!(self.child.is_none(), "{} already runs", self.name);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_veriregime"))
            .args(["--log-json", "oracle", "run", "--config"])
            .arg(&self.config)
            .current_dir(&self.dir)
            .env("VERIREGIME_PRIVATE_KEY", self.key)
            .env("VERIREGIME_ROOT", project_root())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the daemon starts");
        self.child = Some(child);
        // Until it is ready, it may not yet handle SIGTERM: wait for its "ready" line.
        let ready = |log: &Path| std::fs::read_to_string(log).unwrap_or_default().matches("oracle daemon ready").count();
        let before = self.starts;
        let t = Instant::now();
        while ready(&self.log) <= before {
            assert!(t.elapsed() < Duration::from_secs(120), "{} did not get ready:\n{}", self.name, self.log_tail());
            std::thread::sleep(Duration::from_millis(100));
        }
        self.starts += 1;
        std::thread::sleep(Duration::from_millis(500));
    }

    /// `kill -9`: no chance to finish or record anything.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    fn term(&self) {
        if let Some(c) = &self.child {
            // SAFETY: kill(2) on our own child's pid; no memory is shared.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM)
            };
        }
    }

    /// SIGTERM, then wait for a clean exit.
    fn stop(&mut self) {
        self.term();
        let Some(mut c) = self.child.take() else {
            return;
        };
        let t = Instant::now();
        let status = loop {
            if let Some(s) = c.try_wait().unwrap() {
                break s;
            }
            assert!(t.elapsed() < Duration::from_secs(120), "{} did not stop on SIGTERM", self.name);
            std::thread::sleep(Duration::from_millis(200));
        };
        assert!(status.success(), "{} exited with {status}", self.name);
    }

    fn rows(&self) -> Vec<RoundRow> {
        match Store::open_read_only(&self.db) {
            Ok(s) => s.all("BTCUSDT").unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    fn row(&self, minute: i64) -> Option<RoundRow> {
        self.rows().into_iter().find(|r| r.minute == minute)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(25)..].join("\n")
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The chain's rounds of the feed: decision minute (ms) -> (round id, input binding, transmitter, signers).
type ChainRounds = BTreeMap<i64, (u64, String, Address, Vec<Address>)>;

struct Net {
    rt: tokio::runtime::Runtime,
    _tmp: tempfile::TempDir,
    _anvil: alloy::node_bindings::AnvilInstance,
    client: Client,
    dep: veriregime_chain::Deployment,
    committee: Committee,
    honest: FakeExchange,
    liar: FakeExchange,
    members: Vec<Member>,
}

impl Net {
    fn chain(&self) -> ChainRounds {
        self.rt.block_on(async {
            let o = ISignalOracle::new(self.dep.oracle, &self.client.provider);
            let n = o.latestRoundId(self.dep.feed_id).call().await.unwrap().to::<u64>();
            let mut out = BTreeMap::new();
            for id in 1..=n {
                let r = read_round(&self.client.provider, self.dep.oracle, self.dep.feed_id, id).await.unwrap();
                let minute = r.decision_minute_s as i64 * 1000;
                assert!(out.insert(minute, (id, format!("{}", r.input_binding), r.transmitter, r.signers)).is_none(), "minute {minute} twice on chain");
            }
            out
        })
    }

    fn member(&self, a: Address) -> &Member {
        self.members.iter().find(|m| m.address == a).unwrap()
    }

    /// Waits for `cond` on the chain's rounds, failing with every node's log tail after `secs`.
    fn wait_chain(&self, secs: u64, what: &str, cond: impl Fn(&ChainRounds) -> bool) -> ChainRounds {
        let t = Instant::now();
        loop {
            let c = self.chain();
            if cond(&c) {
                return c;
            }
            if t.elapsed() > Duration::from_secs(secs) {
                self.fail(&format!("timed out after {secs} s waiting for {what}; chain minutes {:?}", c.keys().collect::<Vec<_>>()));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn wait_rows(&self, m: usize, secs: u64, what: &str, cond: impl Fn(&[RoundRow]) -> bool) {
        let t = Instant::now();
        loop {
            if cond(&self.members[m].rows()) {
                return;
            }
            if t.elapsed() > Duration::from_secs(secs) {
                self.fail(&format!("timed out after {secs} s waiting for {what} on {}", self.members[m].name));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn fail(&self, what: &str) -> ! {
        let mut text = format!("{what}\n");
        for m in &self.members {
            let rows: Vec<_> = m.rows().iter().map(|r| (r.minute / 1000, r.stage, r.reason.clone())).collect();
            text.push_str(&format!("--- {} rows {rows:?}\n--- {} log tail:\n{}\n", m.name, m.name, m.log_tail()));
        }
        panic!("{text}");
    }

    /// The fake exchange's clock now (both fakes run the same clock).
    fn exchange_now(&self) -> i64 {
        self.honest.now_ms()
    }

    /// The next decision minute to close (open time, ms).
    fn next_minute(&self) -> i64 {
        (self.exchange_now() / MINUTE_MS) * MINUTE_MS
    }
}

fn setup() -> Net {
    let root = project_root();
    require_setup(&root);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // One market, served by two exchanges: the one the honest members read, and the liar's, which
    // serves other candles until told otherwise. Same candles, same clock.
    let now = chrono::Utc::now().timestamp_millis() / MINUTE_MS * MINUTE_MS;
    let candles = synth_candles(&SynthConfig { start: now - 2 * 86_400_000, minutes: 3 * 1440, seed: 21, ..Default::default() });
    let cfg = FakeConfig::from_candles("BTCUSDT", candles, 1440, SPEED);
    let honest = rt.block_on(FakeExchange::start(cfg.clone())).unwrap();
    let liar = rt.block_on(FakeExchange::start(cfg)).unwrap();
    liar.scale_prices(1.004);

    let anvil = Anvil::at(npm_tool(&root, "anvil")).try_spawn().expect("anvil starts");
    let signaler = Signaler::load(&root.join("models/student"), &root.join("circuits/student"), Ezkl::new(&root)).unwrap();
    let keys: Vec<PrivateKeySigner> = MEMBER_KEYS.iter().map(|k| k.parse().unwrap()).collect();
    let (client, dep, committee) = rt.block_on(async {
        let client = Client::connect(&anvil.endpoint(), DEPLOYER).await.unwrap();
        let mut cfg = StackConfig::local("BTCUSDT", signaler.model_id, signaler.manifest.binding, signaler.manifest.output_scale as u8, 42_000);
        cfg.max_delay = 2 * 86_400;
        cfg.committee = keys.iter().map(|k| k.address()).collect();
        cfg.threshold = 2;
        let dep = deploy_stack(&client, &root, &cfg).await.unwrap();
        let committee = Committee::read(&client.provider, dep.oracle, dep.feed_id).await.unwrap();
        (client, dep, committee)
    });
    let deployments = tmp.path().join("deployments.json");
    dep.save(&deployments).unwrap();

    // Each member on its own loopback address; peers reach it through relays the test can cut.
    let names = ["alice", "bob", "carol"];
    let ips = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
    let cuts: Vec<Arc<AtomicBool>> = (0..3).map(|_| Arc::new(AtomicBool::new(false))).collect();
    let listen: Vec<std::net::SocketAddr> = ips.iter().map(|ip| format!("{ip}:{}", free_port(ip)).parse().unwrap()).collect();
    let mut members = Vec::new();
    for i in 0..3 {
        let dir = tmp.path().join(names[i]);
        std::fs::create_dir_all(&dir).unwrap();
        let peers: Vec<String> = (0..3)
            .filter(|j| *j != i)
            .map(|j| format!("\"http://127.0.0.1:{}\"", Relay::start(&rt, listen[j], [cuts[i].clone(), cuts[j].clone()]).port))
            .collect();
        let exchange = if i == 2 { &liar.url } else { &honest.url };
        let config = dir.join("oracle.toml");
        let network = format!(
            "\n[network]\nlisten = \"{}\"\npeers = [{}]\nquorum_timeout_ms = 8000\nfailover_ms = {FAILOVER_MS}\n",
            listen[i],
            peers.join(", ")
        );
        let metrics = format!("{}:{}", ips[i], free_port(ips[i]));
        std::fs::write(
            &config,
            common::daemon_config(exchange, &anvil.endpoint(), &deployments, &root.join("models/student"), &root.join("circuits/student"), &metrics, &network),
        )
        .unwrap();
        members.push(Member {
            name: names[i],
            key: MEMBER_KEYS[i],
            address: keys[i].address(),
            db: dir.join("rounds.db"),
            log: dir.join("daemon.log"),
            config,
            dir,
            child: None,
            starts: 0,
            cut: cuts[i].clone(),
        });
    }
    Net { rt, _tmp: tmp, _anvil: anvil, client, dep, committee, honest, liar, members }
}

#[test]
fn a_committee_of_three_confirms_each_minute_once_through_a_liar_a_kill_9_outages_and_a_partition() {
    let mut net = setup();
    for m in &mut net.members {
        m.start();
    }
    let (alice, bob, carol) = (0, 1, 2);

    // 1. Carol's exchange serves other candles: rounds confirm with Alice and Bob; Carol records
    //    the disagreement, never signs their binding, and her binding is never on chain.
    let chain = net.wait_chain(300, "3 rounds with a lying member", |c| c.len() >= 3);
    for (minute, (_, _, _, signers)) in &chain {
        assert_eq!(signers, &vec![net.members[alice].address, net.members[bob].address], "minute {minute}: the honest pair's k signatures, the liar's never");
    }
    let last = *chain.keys().last().unwrap();
    net.wait_rows(carol, 60, "the liar's record of the last round", |r| r.iter().any(|r| r.minute == last && r.stage == Stage::Confirmed));
    let liar_rows: Vec<RoundRow> = net.members[carol].rows().into_iter().filter(|r| chain.contains_key(&r.minute)).collect();
    assert!(!liar_rows.is_empty());
    for r in &liar_rows {
        let ours = r.binding.clone().expect("the liar computed a binding");
        assert_ne!(Some(&ours), chain.get(&r.minute).map(|c| &c.1), "the liar's binding reached the chain");
        let d: serde_json::Value = serde_json::from_str(r.disagreement.as_deref().expect("disagreement recorded")).unwrap();
        assert_eq!(d["ours"], ours);
        // The rivals the liar heard from before its quorum timeout: the honest pair, or only the
        // one whose report came first (the transmitter signs after its proof, which can take
        // longer than the timeout on a loaded machine); each signed the chain's binding.
        let theirs = d["theirs"].as_object().unwrap();
        let honest = [net.members[alice].address, net.members[bob].address].map(|a| format!("{a:#x}"));
        assert!(!theirs.is_empty() && theirs.keys().all(|k| honest.contains(&k.to_lowercase())), "{d}");
        assert!(theirs.values().all(|b| Some(b.as_str().unwrap()) == chain.get(&r.minute).map(|c| c.1.as_str())), "{d}");
        // Its skip reason names the other binding: a disagreement, or (a rival heard from only
        // one member, under load) "no quorum" with the other bindings signed.
        let why = r.reason.as_deref().unwrap_or("");
        assert!(why.contains("disagreement") || (why.contains("no quorum") && why.contains("other bindings signed")), "{:?}", r.reason);
    }
    net.liar.scale_prices(1.0);

    // 2. The transmitter of a coming minute is killed with `kill -9` mid-round: the next member
    //    of the schedule sends that minute.
    let target = net.next_minute() + 2 * MINUTE_MS;
    let order = net.committee.transmit_order(net.dep.feed_id, (target / 1000) as u64);
    let first = net.members.iter().position(|m| m.address == order[0]).unwrap();
    net.wait_rows(first, 180, "the transmitter proving the target minute", |r| r.iter().any(|r| r.minute == target && r.stage == Stage::Computed));
    net.members[first].kill();
    let chain = net.wait_chain(120, "the killed transmitter's minute", |c| c.contains_key(&target));
    let seen_at = net.exchange_now();
    let by = chain[&target].2;
    assert_eq!(by, order[1], "the next member of the schedule sent the minute");
    println!(
        "failover: minute {} sent by {} (the schedule's second) at most {:.1} s (real time) after its close",
        target / 1000,
        net.member(by).name,
        (seen_at - target - MINUTE_MS) as f64 / 1000.0 / SPEED
    );
    net.members[first].start();

    // 3. One member down: rounds go on. Two down: no quorum, nothing submitted.
    net.members[carol].stop();
    let before = net.chain().len();
    net.wait_chain(180, "2 rounds with one member down", |c| c.len() >= before + 2);
    net.members[bob].stop();
    let alone_from = net.next_minute() + MINUTE_MS;
    net.wait_rows(alice, 240, "2 rounds skipped for want of a quorum", |r| {
        r.iter().filter(|r| r.minute >= alone_from && r.stage == Stage::Skipped && r.reason.as_deref().unwrap_or("").contains("no quorum")).count() >= 2
    });
    let skipped: Vec<i64> = net.members[alice].rows().iter().filter(|r| r.minute >= alone_from && r.stage == Stage::Skipped).map(|r| r.minute).collect();
    let chain = net.chain();
    assert!(skipped.iter().all(|m| !chain.contains_key(m)), "a round without quorum reached the chain");
    net.members[bob].start();
    net.members[carol].start();
    let before = net.chain().len();
    net.wait_chain(240, "rounds again with all three", |c| c.len() > before);

    // 4. Alice cut off from her peers (not from the chain or the exchange) for two rounds, then
    //    back: Bob and Carol go on; Alice catches up and records what she missed.
    net.members[alice].cut.store(true, Ordering::SeqCst);
    let cut_from = net.next_minute() + MINUTE_MS;
    let before = net.chain().len();
    let chain = net.wait_chain(240, "2 rounds while Alice is cut off", |c| c.len() >= before + 2);
    let during: Vec<i64> = chain.keys().copied().filter(|m| *m >= cut_from).collect();
    net.members[alice].cut.store(false, Ordering::SeqCst);
    let before = net.chain().len();
    net.wait_chain(180, "a round after Alice is back", |c| c.len() > before);
    net.wait_rows(alice, 60, "Alice's record of the rounds she was cut off from", |r| {
        during.iter().all(|m| r.iter().any(|r| r.minute == *m && r.stage == Stage::Confirmed))
    });
    for m in &during {
        let r = net.members[alice].row(*m).unwrap();
        assert!(r.transmitter.is_some() && !r.signer_list().is_empty(), "{r:?}");
        if let Some(reason) = &r.reason {
            assert!(reason.contains("confirmed on chain") || reason.contains("found on chain"), "{reason}");
        }
    }

    // The end: every node stops cleanly (SIGTERM to all at once, so that none stops a quorum
    // short of the others); the chain holds exactly what each calls confirmed.
    for m in &net.members {
        m.term();
    }
    for m in &mut net.members {
        m.stop();
    }
    let chain = net.chain();
    for m in &net.members {
        let rows = m.rows();
        let confirmed: BTreeSet<i64> = rows.iter().filter(|r| r.stage == Stage::Confirmed).map(|r| r.minute).collect();
        // The minutes this node has records of: from its first row to its last (after its last
        // row it had stopped; the others may have gone on for a minute).
        let (lo, hi) = (rows.first().map_or(i64::MAX, |r| r.minute), rows.last().map_or(i64::MIN, |r| r.minute));
        let on_chain: BTreeSet<i64> = chain.keys().copied().filter(|k| (lo..=hi).contains(k)).collect();
        assert_eq!(confirmed, on_chain, "{}: confirmed rows vs the chain's rounds", m.name);
        for r in &rows {
            assert!(r.stage.is_final(), "{}: minute {} left {:?}", m.name, r.minute, r.stage);
            if r.stage == Stage::Skipped {
                assert!(!r.reason.as_deref().unwrap_or("").is_empty(), "{}: minute {} skipped without a reason", m.name, r.minute);
            }
            if let Some((id, _, by, signers)) = chain.get(&r.minute) {
                assert_eq!(r.round_id, Some(*id), "{}: minute {}", m.name, r.minute);
                assert_eq!(r.transmitter.as_deref(), Some(format!("{by}").as_str()), "{}: minute {} transmitter", m.name, r.minute);
                assert_eq!(r.signer_list(), signers.iter().map(|a| format!("{a}")).collect::<Vec<_>>(), "{}: minute {} signers", m.name, r.minute);
            }
        }
        // Every minute from its first row on has a row: none silently missing.
        let minutes: Vec<i64> = rows.iter().map(|r| r.minute).collect();
        for w in minutes.windows(2) {
            assert_eq!(w[1] - w[0], MINUTE_MS, "{}: minutes between {} and {} have no row", m.name, w[0], w[1]);
        }
    }

    let totals: Vec<f64> = net.transmitted().iter().map(|(_, t)| t["close_to_confirmed"]).collect();
    if !totals.is_empty() {
        let (p50, max) = (percentile(&totals, 0.5), percentile(&totals, 1.0));
        println!("close -> confirmed (transmitter's record, real seconds): p50 {p50:.2} s, max {max:.2} s over {} rounds", totals.len());
    }
}

impl Net {
    /// Each confirmed round's stage timings (real seconds) on the record of the member that
    /// transmitted it, with `close_to_confirmed`: its wait after the candle's close (on the
    /// exchange clock, which runs x SPEED) plus its total.
    fn transmitted(&self) -> Vec<(i64, BTreeMap<String, f64>)> {
        let mut out = Vec::new();
        for m in &self.members {
            for r in m.rows() {
                if r.stage == Stage::Confirmed && r.transmitter.as_deref() == Some(format!("{}", m.address).as_str()) {
                    let mut t = r.timings();
                    if let (Some(a), Some(total)) = (t.get("after_close").copied(), t.get("total").copied()) {
                        t.insert("after_close".into(), a / SPEED);
                        t.insert("close_to_confirmed".into(), a / SPEED + total);
                        out.push((r.minute, t));
                    }
                }
            }
        }
        out.sort_by_key(|(m, _)| *m);
        out
    }
}

/// The `q` quantile (0..=1, nearest rank) of `v`.
fn percentile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Benchmark, not a test (`make bench-network`): the three members, all honest, at 2 of 3 for
/// `NETWORK_ROUNDS` rounds (default 10); prints candle close -> confirmed and each stage
/// (p50 / p95 / max, real seconds) from the transmitters' records. Run it on an idle machine.
#[test]
#[ignore]
fn bench_committee_latency() {
    let rounds: usize = std::env::var("NETWORK_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let mut net = setup();
    net.liar.scale_prices(1.0); // everyone honest: the benchmark is the quorum's normal path
    for m in &mut net.members {
        m.start();
    }
    // Rounds from the second on: the first may start mid-minute.
    let first = net.next_minute() + MINUTE_MS;
    let secs = (rounds as f64 + 2.0) * 60.0 / SPEED + 120.0;
    net.wait_chain(secs as u64, &format!("{rounds} rounds"), |c| c.keys().filter(|m| **m >= first).count() >= rounds);
    let rows: Vec<_> = net.transmitted().into_iter().filter(|(m, _)| *m >= first).collect();
    for m in &mut net.members {
        m.stop();
    }
    println!("{} rounds, 3 members at 2 of 3, exchange clock x{SPEED}, failover after {FAILOVER_MS} ms (real seconds):", rows.len());
    println!("  {:>18}  {:>7}  {:>7}  {:>7}", "stage", "p50", "p95", "max");
    for stage in ["after_close", "fetch", "infer", "prove", "submit", "confirm", "total", "close_to_confirmed"] {
        let v: Vec<f64> = rows.iter().filter_map(|(_, t)| t.get(stage).copied()).collect();
        if !v.is_empty() {
            println!("  {stage:>18}  {:>7.3}  {:>7.3}  {:>7.3}", percentile(&v, 0.5), percentile(&v, 0.95), percentile(&v, 1.0));
        }
    }
    let goal = percentile(&rows.iter().map(|(_, t)| t["close_to_confirmed"]).collect::<Vec<_>>(), 0.5);
    println!("close -> confirmed p50 {goal:.2} s against the goal of 5 s");
}

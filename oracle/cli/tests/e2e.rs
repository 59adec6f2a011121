//! End to end, with every part real: the shipped student, a real EZKL proof, the generated
//! verifier and the oracle on anvil, real transactions sent with alloy, and the `veriregime`
//! binary's `oracle round` and `demo` commands.
//!
//! Needs what `make test` sets up first: the npm toolchain (anvil), `forge build` output, the
//! virtualenv with ezkl and the student's proving key (`make keys`).

mod common;
use common::require_setup;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{B256, U256};
use std::path::{Path, PathBuf};
use std::process::Command;
use veriregime_chain::{deploy_stack, Client, Deployment, ISignalOracle, StackConfig};
use veriregime_core::data::{synth_candles, write_daily_archive, SynthConfig};
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_chain::{submit, Target};
use veriregime_zk::signaler::{expected_binding, Signaler};

fn root() -> PathBuf {
    project_root()
}

async fn chain(root: &Path, signaler: &Signaler) -> (AnvilInstance, Client, Deployment) {
    let anvil = Anvil::at(veriregime_zk::prover::npm_tool(&root, "anvil")).try_spawn().expect("anvil starts");
    let key = hex::encode(anvil.first_key().to_bytes());
    let client = Client::connect(anvil.endpoint_url().as_str(), &key).await.unwrap();
    let mut cfg = StackConfig::local("BTCUSDT", signaler.model_id, signaler.manifest.binding, signaler.manifest.output_scale as u8, 42_000);
    // The synthetic candles are in 2024 and anvil's clock is now: accept any delay.
    cfg.max_delay = u32::MAX;
    let dep = deploy_stack(&client, root, &cfg).await.unwrap();
    (anvil, client, dep)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proven_round_lands_and_tampering_is_refused() {
    let root = root();
    require_setup(&root);
    let signaler = Signaler::load(&root.join("models/student"), &root.join("circuits/student"), Ezkl::new(&root)).unwrap();
    let candles = synth_candles(&SynthConfig { minutes: 600, seed: 7, ..Default::default() });
    let inf = signaler.infer(&candles).unwrap();
    let work = tempfile::tempdir().unwrap();
    let proven = signaler.prove(&inf, work.path()).await.unwrap();
    assert_eq!(proven.signal, inf.signal, "the circuit agrees with tract");
    // An auditor rebuilds the input binding from the window alone, without the proof.
    assert_eq!(expected_binding(&signaler, &inf.input, work.path()).await.unwrap(), proven.binding);
    let mut other = inf.input.clone();
    other[0] += 0.25;
    assert_ne!(expected_binding(&signaler, &other, work.path()).await.unwrap(), proven.binding);
    for (p, f) in proven.outputs.iter().zip(inf.logits) {
        // Fixed point at scale 2^13 through four layers: close, not equal.
        assert!((p - f as f64).abs() < 0.01 * (f as f64).abs().max(1.0), "proof output {p} vs tract {f}");
    }

    let (anvil, client, dep) = chain(&root, &signaler).await;
    let oracle = ISignalOracle::new(dep.oracle, &client.provider);
    let target = Target::of(&dep, signaler.model_id);
    // The deployer is the feed's committee of one: it signs whatever binding a (tampered) proof
    // carries, so what is refused below is the proof itself.
    let key = alloy::signers::local::PrivateKeySigner::from(anvil.first_key().clone());
    let sign = |p: &veriregime_zk::Proven, model: B256| {
        let binding = signaler.manifest.binding.of_proof(&p.proof, &p.instances).unwrap();
        let (provider, key) = (client.provider.clone(), key.clone());
        let minute_s = (inf.decision_minute / 1000) as u64;
        async move { veriregime_node::committee::own_signatures(&provider, dep.oracle, dep.feed_id, model, minute_s, binding, &key).await.unwrap() }
    };

    // Tampered proof bytes (in the input commitment and further on) and a tampered output are
    // refused before anything is sent.
    for at in [0usize, 40, 100, proven.proof.len() - 1] {
        let mut bad = proven.clone();
        let mut bytes = bad.proof.to_vec();
        bytes[at] ^= 1;
        bad.proof = bytes.into();
        let e = submit(&client, target, inf.decision_minute, &bad, &sign(&bad, target.model_id).await).await.unwrap_err().to_string();
        assert!(e.contains("SignalOracleProofRejected"), "byte {at}: {e}");
    }
    let mut bad = proven.clone();
    let last = bad.instances.len() - 1;
    bad.instances[last] += U256::from(1u64);
    let e = submit(&client, target, inf.decision_minute, &bad, &sign(&bad, target.model_id).await).await.unwrap_err().to_string();
    assert!(e.contains("SignalOracleProofRejected"), "{e}");
    let e = submit(&client, Target { model_id: B256::repeat_byte(7), ..target }, inf.decision_minute, &proven, &sign(&proven, B256::repeat_byte(7)).await).await.unwrap_err().to_string();
    assert!(e.contains("SignalOracleWrongModel"), "{e}");

    // The real one lands.
    let sub = submit(&client, target, inf.decision_minute, &proven, &sign(&proven, target.model_id).await).await.unwrap();
    assert_eq!(sub.round_id, 1);
    assert!(sub.gas > 300_000 && sub.gas < 3_000_000, "gas {}", sub.gas);
    let latest = oracle.latestSignal(dep.feed_id).call().await.unwrap();
    assert_eq!(latest.signal as u8, inf.signal);
    assert_eq!(latest.decisionMinute, (inf.decision_minute / 1000) as u64);
    let round = oracle.getRound(dep.feed_id, U256::from(1u64)).call().await.unwrap();
    assert_eq!(round.inputBinding, proven.binding);
    assert_eq!(round.modelId, signaler.model_id);
    assert_eq!(round.submitter, client.from);

    // A replay of the same round is refused.
    let e = submit(&client, target, inf.decision_minute, &proven, &sign(&proven, target.model_id).await).await.unwrap_err().to_string();
    assert!(e.contains("SignalOracleRoundNotAfterLatest"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oracle_round_command_submits_the_latest_window_of_an_archive() {
    let root = root();
    require_setup(&root);
    let signaler = Signaler::load(&root.join("models/student"), &root.join("circuits/student"), Ezkl::new(&root)).unwrap();
    let anvil = Anvil::at(veriregime_zk::prover::npm_tool(&root, "anvil")).try_spawn().expect("anvil starts");
    let deployments = tempfile::tempdir().unwrap();
    let dep_file = deployments.path().join("anvil.json");
    // Operators deploy with the CLI; the synthetic candles are from 2024 and anvil's clock is now,
    // so the submission window is opened wide.
    let out = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .current_dir(&root)
        .env("VERIREGIME_PRIVATE_KEY", hex::encode(anvil.keys()[0].to_bytes()))
        .args(["deploy", "--max-delay", "4294967295", "--governor", &format!("{:#x}", anvil.addresses()[1]), "--rpc", anvil.endpoint_url().as_str(), "--out"])
        .arg(&dep_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "deploy failed: {}", String::from_utf8_lossy(&out.stderr));
    let dep = Deployment::load(&dep_file).unwrap();
    assert_eq!(dep.model_id, signaler.model_id);
    assert_eq!(dep.symbol, "BTCUSDT");
    // The deployer keeps no admin role: the oracle's one admin is the timelock, which the governor
    // proposes through.
    let provider = alloy::providers::ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let o = ISignalOracle::new(dep.oracle, &provider);
    assert_eq!(o.defaultAdmin().call().await.unwrap(), dep.timelock);
    assert_eq!(dep.governor, anvil.addresses()[1]);
    assert!(!o.hasRole(B256::ZERO, anvil.addresses()[0]).call().await.unwrap());

    // `oracle check` against the fresh deployment and the fake exchange at real time: every check
    // passes for the deployer (the committee of one); another funded account lacks the role and
    // the membership, and each failure says what to do.
    let now = chrono::Utc::now().timestamp_millis();
    let minute = veriregime_core::data::MINUTE_MS;
    let candles = synth_candles(&SynthConfig { start: now / minute * minute - 86_400_000, minutes: 2 * 1440, seed: 11, ..Default::default() });
    let mut fake_cfg = veriregime_node::exchange::fake::FakeConfig::from_candles("BTCUSDT", candles, 1440, 1.0);
    fake_cfg.start_ms = now;
    let fake = veriregime_node::exchange::fake::FakeExchange::start(fake_cfg).await.unwrap();
    let config = deployments.path().join("oracle.toml");
    let toml = common::daemon_config(&fake.url, anvil.endpoint_url().as_str(), &dep_file, &root.join("models/student"), &root.join("circuits/student"), "127.0.0.1:0", "");
    std::fs::write(&config, toml).unwrap();
    let check = |key: String| {
        let out = Command::new(env!("CARGO_BIN_EXE_veriregime")).env("VERIREGIME_PRIVATE_KEY", key).args(["oracle", "check", "--config"]).arg(&config).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (ok, text) = check(hex::encode(anvil.keys()[0].to_bytes()));
    assert!(ok, "{text}");
    for what in ["config paths", "operator key", "model and circuit", "deployments", "chain", "submitter role", "balance", "feed BTCUSDT", "exchange", "exchange BTCUSDT"] {
        assert!(text.lines().any(|l| l.starts_with("ok") && l[6..].starts_with(what)), "no passing {what:?} check:\n{text}");
    }
    let (ok, text) = check(hex::encode(anvil.keys()[3].to_bytes()));
    assert!(!ok, "{text}");
    assert!(text.lines().any(|l| l.starts_with("FAIL  submitter role") && l.contains("must grant it SUBMITTER_ROLE")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("FAIL  feed BTCUSDT") && l.contains("not a member of the feed's committee")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ok    balance")), "{text}");
    let data = tempfile::tempdir().unwrap();
    write_daily_archive(data.path(), "BTCUSDT", &synth_candles(&SynthConfig { minutes: 1440, seed: 11, ..Default::default() })).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .current_dir(&root)
        .env("VERIREGIME_PRIVATE_KEY", hex::encode(anvil.keys()[0].to_bytes()))
        .args(["oracle", "round", "--json", "--data"])
        .arg(data.path())
        .args(["--rpc", anvil.endpoint_url().as_str(), "--deployments"])
        .arg(&dep_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "oracle round failed: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = hex::encode(anvil.keys()[0].to_bytes());
    assert!(!stdout.contains(&key) && !stderr.contains(&key), "the key must never be printed");
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(v["round_id"], 1);
    assert_eq!(v["decision_minute"], "2024-01-01 23:59");
    assert!(["SELL", "HOLD", "BUY"].contains(&v["signal"].as_str().unwrap()));

    // Anyone can audit the round from the public candles; other candles do not match.
    let audit = |root: &Path| {
        Command::new(env!("CARGO_BIN_EXE_veriregime"))
            .current_dir(project_root())
            .args(["audit", "--round", "1", "--rpc", anvil.endpoint_url().as_str(), "--deployments"])
            .arg(&dep_file)
            .arg("--data")
            .arg(root)
            .output()
            .unwrap()
    };
    let o = audit(data.path());
    assert!(o.status.success(), "audit failed: {}", String::from_utf8_lossy(&o.stderr));
    let a: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(a["inputs_match"], true);
    assert_eq!(a["signal_onchain"], v["signal"]);
    // The committee (the deployer alone here) signed exactly the public candles' window.
    let operator = format!("{:#x}", anvil.addresses()[0]);
    assert_eq!(a["signatures_match"], true, "{a}");
    assert_eq!(a["signers"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_lowercase()).collect::<Vec<_>>(), vec![operator.clone()]);
    assert_eq!(a["transmitter"].as_str().unwrap().to_lowercase(), operator);
    let other = tempfile::tempdir().unwrap();
    write_daily_archive(other.path(), "BTCUSDT", &synth_candles(&SynthConfig { minutes: 1440, seed: 12, ..Default::default() })).unwrap();
    let o = audit(other.path());
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("NOT the window of the public candles"));
}

#[test]
fn demo_shows_three_verified_rounds() {
    let root = root();
    require_setup(&root);
    let dep = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .current_dir(&root)
        .args(["demo", "--json", "--deployments"])
        .arg(dep.path().join("d.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let rounds = v["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 3);
    for r in rounds {
        assert_eq!(r["verified"], true);
        // A committee of three at 2 of 3: two members signed, one of them transmitted.
        let signers: Vec<&str> = r["signers"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert_eq!(signers.len(), 2, "{r}");
        assert!(signers.contains(&r["transmitter"].as_str().unwrap()), "{r}");
        assert!(r["gas"].as_u64().unwrap() > 0);
        assert!(r["tx"].as_str().unwrap().starts_with("0x"));
        // Every unit of a submission's gas is accounted for: base and calldata, the verifier, the
        // oracle's own execution (storage, events, the rest: the demo's anvil records steps).
        let b = &r["gas_breakdown"];
        let part = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
        assert_eq!(part(b, "total"), r["gas"].as_u64().unwrap());
        assert_eq!(part(b, "intrinsic") + part(b, "verifier") + part(b, "caller"), part(b, "total"));
        let ops = &b["caller_ops"];
        assert_eq!(part(ops, "storage") + part(ops, "events") + part(ops, "other"), part(b, "caller"));
        // A round writes at least two fresh slots (20,000 each) and emits its event.
        assert!(part(ops, "storage") > 40_000 && part(ops, "events") > 0, "{b}");
    }
    assert!(rounds[2]["vault_action"].as_str().unwrap().contains("SignalOracleNotCurrent"), "{}", rounds[2]["vault_action"]);
    // The deployer leaves with all its shares in kind: at least 98% of its 100,000 dUSD deposit
    // (the vault pays the pair's 0.3% fee and ~0.1% impact per swap, and the price moves).
    let exit = &v["exit_in_kind"];
    assert!(exit["value"].as_f64().unwrap() > 98_000.0, "{exit}");
    assert!(exit["stable"].as_f64().unwrap() > 0.0 || exit["risk"].as_f64().unwrap() > 0.0, "{exit}");
    assert!(Deployment::load(&dep.path().join("d.json")).is_ok());
}

fn bench(root: &Path, work: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .current_dir(root)
        .args(["bench", "--no-teacher", "--calibration-windows", "4", "--fidelity", "8", "--work"])
        .arg(work)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// `veriregime bench` on the smallest study student (synthetic windows, no teacher): a real
/// circuit, real proofs, a real verifyProof transaction on anvil, fidelity, and the report.
#[test]
fn bench_measures_a_student_circuit_end_to_end() {
    let root = root();
    require_setup(&root);
    let tmp = tempfile::tempdir().unwrap();
    let (work, out) = (tmp.path().join("work"), tmp.path().join("out"));

    // A model folder that does not exist is named, and nothing is written.
    let o = bench(&root, &work, &out, &["--students", "models/study/no-such-student"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("models/study/no-such-student"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.exists() && !work.exists());

    let o = bench(&root, &work, &out, &["--students", "models/study/student-32-16", "--proofs", "2"]);
    assert!(o.status.success(), "bench failed: {}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("RESULTS.json")).unwrap()).unwrap();
    assert_eq!(v["format"], "veriregime-bench-1");
    let m = &v["models"][0];
    assert_eq!(m["name"], "student-32-16");
    assert_eq!(m["params"], 14_055);
    let b = &m["build"];
    assert_eq!(b["reused"], false);
    assert!(b["logrows"].as_u64().unwrap() >= 10 && b["num_rows"].as_u64().unwrap() > 1000);
    assert!(b["pk_bytes"].as_u64().unwrap() > b["vk_bytes"].as_u64().unwrap());
    let p = &m["proofs"];
    let times: Vec<f64> = p["prove_s"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(times.len(), 2);
    assert!(times.iter().all(|t| *t > 0.0));
    assert!((p["prove_median_s"].as_f64().unwrap() - (times[0] + times[1]) / 2.0).abs() < 1e-9);
    assert!(p["peak_rss_bytes"].as_u64().unwrap() > 50_000_000);
    assert!(p["proof_bytes"].as_u64().unwrap() > 1000);
    let g = &m["gas"];
    assert!(g["verify_tx_gas"].as_u64().unwrap() > 200_000, "{g}");
    assert!(g["runtime_code_bytes"].as_u64().unwrap() <= 24_576);
    // The trace accounts for every unit of the transaction's gas; a KZG verifier pairs once.
    let t = &g["breakdown"];
    let part = |k: &str| t[k].as_u64().unwrap();
    assert_eq!(part("total"), g["verify_tx_gas"].as_u64().unwrap());
    assert_eq!(part("intrinsic") + part("verifier") + part("caller"), part("total"));
    assert_eq!(part("caller"), 0);
    let pre = t["precompiles"].as_array().unwrap();
    let calls = |n: &str| pre.iter().find(|p| p["name"] == n).map(|p| p["calls"].as_u64().unwrap());
    assert_eq!(calls("ecPairing"), Some(1), "{t}");
    assert!(calls("ecMul").unwrap() > 10, "{t}");
    assert_eq!(m["fidelity"]["n"], 8);
    assert_eq!(m["fidelity"]["agree"], 8);
    assert!(m["speedup"].is_null() && m["rho"].is_null());
    let md = std::fs::read_to_string(out.join("RESULTS.md")).unwrap();
    for section in ["## Models", "## Circuits", "## Proving and verifying", "## Verification on chain", "Where that gas goes", "## Fidelity", "## Goals"] {
        assert!(md.contains(section), "RESULTS.md lacks {section}");
    }
    assert!(md.contains("not measured (no teacher in this run)"));
    // The tuned twin: a 2^12-entry range-check table lets this < 2^14-row circuit drop a logrow.
    let t = &v["models"][1];
    assert_eq!(t["name"], "student-32-16-tuned");
    assert_eq!(t["build"]["decomp_base"], 4096);
    assert_eq!(t["build"]["logrows"].as_u64().unwrap() + 1, b["logrows"].as_u64().unwrap());
    assert_eq!(t["fidelity"]["agree"], 8);
    assert!(t["gas"]["verify_tx_gas"].as_u64().unwrap() > 200_000);
    assert_eq!(&std::fs::read(out.join("pareto.png")).unwrap()[..4], b"\x89PNG");

    // A second run reuses the unchanged build (and says so) but proves again.
    let o = bench(&root, &work, &out, &["--students", "models/study/student-32-16", "--proofs", "1"]);
    assert!(o.status.success(), "bench rerun failed: {}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("RESULTS.json")).unwrap()).unwrap();
    assert_eq!(v["models"][0]["build"]["reused"], true);
    assert_eq!(v["models"][1]["build"]["reused"], true);
    assert_eq!(v["models"][0]["proofs"]["prove_s"].as_array().unwrap().len(), 1);
    assert!(std::fs::read_to_string(out.join("RESULTS.md")).unwrap().contains("(reused)"));
}

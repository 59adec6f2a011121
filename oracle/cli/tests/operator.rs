//! The operator's kit against a real anvil and the real contracts: `oracle key` makes and opens an
//! encrypted keystore, `oracle admin` schedules role and committee changes through the
//! deployment's TimelockController (OpenZeppelin's) as the governor, refuses to execute them
//! before the delay, executes them after it (the chain's clock moved on with `evm_increaseTime`),
//! and `admin show` reads the result back.
//!
//! Needs what `make test` sets up first: the npm toolchain (anvil), `forge build` output.

mod common;

use alloy::node_bindings::Anvil;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use std::process::{Command, Output};
use veriregime_chain::{deploy_stack, Client, ISignalOracle, StackConfig};
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::signaler::Signaler;

/// The binary with a clean key environment plus `env`.
fn bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_veriregime"));
    c.env_remove("VERIREGIME_PRIVATE_KEY").env_remove("VERIREGIME_KEYSTORE_PASSWORD").env_remove("VERIREGIME_RPC_URL").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}\n{}", String::from_utf8_lossy(&o.stderr), String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    assert!(!o.status.success(), "succeeded: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn key_new_writes_a_keystore_that_opens_with_its_password_only() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, pw) = (dir.path().join("keys"), dir.path().join("pw"));
    std::fs::write(&pw, "s3cret pass\n").unwrap();
    let keys_s = keys.to_str().unwrap();
    let pw_s = pw.to_str().unwrap();
    let out = ok(&bin(&["oracle", "key", "new", "--keystore", keys_s, "--password-file", pw_s, "--json"], &[]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let address: Address = v["address"].as_str().unwrap().parse().unwrap();
    let file = keys.join("operator.json");
    assert_eq!(v["path"].as_str().unwrap(), file.to_str().unwrap());
    let file_s = file.to_str().unwrap();
    // The password is the file's line, from a file or the environment; never printed.
    let shown = ok(&bin(&["oracle", "key", "address", "--keystore", file_s, "--password-file", pw_s], &[]));
    assert_eq!(shown.trim(), address.to_string());
    let o = bin(&["oracle", "key", "address", "--keystore", file_s], &[("VERIREGIME_KEYSTORE_PASSWORD", "s3cret pass")]);
    assert_eq!(ok(&o).trim(), address.to_string());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("s3cret"));
    let e = err(&bin(&["oracle", "key", "address", "--keystore", file_s], &[("VERIREGIME_KEYSTORE_PASSWORD", "s3cret")]));
    assert!(e.contains("wrong password"), "{e}");
    assert!(!e.contains("s3cret"), "{e}");
    // No terminal and no password given: said, not prompted for.
    let e = err(&bin(&["oracle", "key", "address", "--keystore", file_s], &[]));
    assert!(e.contains("give --password-file or VERIREGIME_KEYSTORE_PASSWORD"), "{e}");
    // An existing keystore is never overwritten.
    let e = err(&bin(&["oracle", "key", "new", "--keystore", keys_s, "--password-file", pw_s], &[]));
    assert!(e.contains("exists already"), "{e}");
    assert_eq!(ok(&bin(&["oracle", "key", "address", "--keystore", file_s, "--password-file", pw_s], &[])).trim(), address.to_string());
}

/// The README's "try it locally" deploy, on a chain that mines a block every second as a real one
/// does (not on each transaction): every contract deploys. Before, PairTwap ran out of gas there:
/// its gas was estimated on the latest block and spent in a later one, where its first
/// observation writes a price into a zero slot.
#[test]
fn deploy_succeeds_on_a_chain_with_a_block_time() {
    let root = project_root();
    common::require_setup(&root);
    let anvil = Anvil::at(veriregime_zk::prover::npm_tool(&root, "anvil")).block_time(1).try_spawn().expect("anvil starts");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("anvil.json");
    let o = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .current_dir(&root)
        .env_remove("VERIREGIME_RPC_URL")
        .env("VERIREGIME_PRIVATE_KEY", hex::encode(anvil.keys()[0].to_bytes()))
        .args(["deploy", "--rpc", anvil.endpoint_url().as_str(), "--governor", &anvil.addresses()[1].to_string(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    ok(&o);
    let d: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(d.to_string().contains("twap"), "{d}");
}

/// Moves the chain's clock past the timelock's delay.
async fn advance(client: &Client, seconds: u64) {
    let _: serde_json::Value = client.provider.raw_request("evm_increaseTime".into(), (seconds,)).await.unwrap();
    let _: serde_json::Value = client.provider.raw_request("evm_mine".into(), ()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_changes_go_through_the_timelock_schedule_then_execute() {
    let root = project_root();
    common::require_setup(&root);
    let signaler = Signaler::load(&root.join("models/student"), &root.join("circuits/student"), Ezkl::new(&root)).unwrap();
    let anvil = Anvil::at(veriregime_zk::prover::npm_tool(&root, "anvil")).try_spawn().expect("anvil starts");
    let rpc = anvil.endpoint_url().to_string();
    let key = |i: usize| hex::encode(anvil.keys()[i].to_bytes());
    let deployer = Client::connect(&rpc, &key(0)).await.unwrap();
    let governor = anvil.addresses()[1];
    let mut cfg = StackConfig::local("BTCUSDT", signaler.model_id, signaler.manifest.binding, signaler.manifest.output_scale as u8, 42_000);
    cfg.governor = Some(governor);
    cfg.timelock_delay = 3600;
    let dep = deploy_stack(&deployer, &root, &cfg).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dep_file = dir.path().join("anvil.json");
    dep.save(&dep_file).unwrap();
    let dep_s = dep_file.to_str().unwrap();
    let chain = ["--rpc", rpc.as_str(), "--deployments", dep_s];
    let admin = |cmd: &[&str], key: &str| {
        let mut args = vec!["oracle", "admin"];
        args.extend_from_slice(cmd);
        args.extend_from_slice(&chain);
        bin(&args, &[("VERIREGIME_PRIVATE_KEY", key)])
    };

    // A new operator key in a keystore, funded; it signs the executions below.
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "operator pw\n").unwrap();
    let out = ok(&bin(&["oracle", "key", "new", "--keystore", dir.path().join("keys").to_str().unwrap(), "--password-file", pw.to_str().unwrap(), "--json"], &[]));
    let operator: Address = serde_json::from_str::<serde_json::Value>(&out).unwrap()["address"].as_str().unwrap().parse().unwrap();
    let keystore = dir.path().join("keys/operator.json");
    let _: serde_json::Value = deployer.provider.raw_request("anvil_setBalance".into(), (operator, "0xDE0B6B3A7640000")).await.unwrap();
    let as_operator = |cmd: &[&str]| {
        let mut args = vec!["oracle", "admin"];
        args.extend_from_slice(cmd);
        args.extend_from_slice(&chain);
        args.extend_from_slice(&["--keystore", keystore.to_str().unwrap(), "--password-file", pw.to_str().unwrap()]);
        bin(&args, &[])
    };
    let o = ISignalOracle::new(dep.oracle, &deployer.provider);
    let role = o.SUBMITTER_ROLE().call().await.unwrap();
    let op_id = |out: &str| -> B256 { serde_json::from_str::<serde_json::Value>(out).unwrap()["id"].as_str().unwrap().parse().unwrap() };

    // Only the governor schedules.
    let op_str = operator.to_string();
    let e = err(&admin(&["grant-submitter", &op_str], &key(3)));
    assert!(e.contains("not the timelock's proposer") && e.contains(&governor.to_string()), "{e}");
    let out = ok(&admin(&["grant-submitter", &op_str, "--json"], &key(1)));
    let id = op_id(&out);
    let text = ok(&admin(&["show"], &key(1)));
    assert!(text.contains(&format!("pending     {id} (pending")) && text.contains(&format!("oracle.grantRole(SUBMITTER_ROLE, {operator})")), "{text}");
    // Not before the delay: said with the time it ends.
    let e = err(&as_operator(&["execute", &id.to_string()]));
    assert!(e.contains("is not ready") && e.contains("UTC (in 3"), "{e}");
    assert!(!o.hasRole(role, operator).call().await.unwrap());
    advance(&deployer, 3601).await;
    let text = ok(&as_operator(&["execute", &id.to_string()]));
    assert!(text.contains(&format!("operation {id} executed")), "{text}");
    assert!(o.hasRole(role, operator).call().await.unwrap());
    let e = err(&as_operator(&["execute", &id.to_string()]));
    assert!(e.contains("executed already"), "{e}");
    let e = err(&admin(&["grant-submitter", &op_str], &key(1)));
    assert!(e.contains("holds the submitter role already"), "{e}");

    // A committee that would revert is refused before it is scheduled, with the oracle's reason.
    let (a0, a5) = (anvil.addresses()[0].to_string(), anvil.addresses()[5].to_string());
    let members = format!("{a0},{op_str},{a5}");
    let e = err(&admin(&["set-committee", "--members", &members, "--threshold", "4"], &key(1)));
    assert!(e.contains("would revert") && e.contains("SignalOracleInvalidThreshold"), "{e}");
    // A valid one: members lacking the role get it in the same operation.
    let out = ok(&admin(&["set-committee", "--members", &members, "--threshold", "2", "--json"], &key(1)));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let calls: Vec<&str> = v["calls"].as_array().unwrap().iter().map(|c| c["what"].as_str().unwrap()).collect();
    assert_eq!(calls, [format!("oracle.setCommittee(BTCUSDT, [{a0}, {op_str}, {a5}], 2 of 3)"), format!("oracle.grantRole(SUBMITTER_ROLE, {a5})")], "{out}");
    assert_eq!(v["batch"], true);
    advance(&deployer, 3601).await;
    ok(&as_operator(&["execute", v["id"].as_str().unwrap()]));
    let c = o.getCommittee(dep.feed_id).call().await.unwrap();
    assert_eq!((c.members.len(), c.threshold, c.version), (3, 2, 2));
    assert!(o.hasRole(role, anvil.addresses()[5]).call().await.unwrap());

    // Revoking, and the view afterwards.
    let id = op_id(&ok(&admin(&["revoke-submitter", &a5, "--json"], &key(1))));
    advance(&deployer, 3601).await;
    ok(&admin(&["execute", &id.to_string()], &key(4)));
    assert!(!o.hasRole(role, anvil.addresses()[5]).call().await.unwrap());
    let v: serde_json::Value = serde_json::from_str(&ok(&admin(&["show", "--json"], &key(4)))).unwrap();
    let submitters: Vec<Address> = v["submitters"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(submitters, [anvil.addresses()[0], operator]);
    assert_eq!(v["threshold"], 2);
    assert_eq!(v["timelock_delay_s"], 3600);
    assert_eq!(v["pending"].as_array().unwrap().len(), 0);
    let text = ok(&admin(&["show"], &key(4)));
    assert!(text.contains(&format!("note: member {a5} lacks the submitter role")), "{text}");

    // A deployments file of another chain is refused.
    let mut other = dep.clone();
    other.chain_id += 1;
    other.save(&dep_file).unwrap();
    let e = err(&admin(&["show"], &key(4)));
    assert!(e.contains("give the deployments file of this chain"), "{e}");
}

// The deployment kit in oracle/deploy: the systemd unit, the alert rules, the dashboard.

fn deploy_dir() -> std::path::PathBuf {
    project_root().join("oracle/deploy")
}

/// promtool: unpacked by `make bootstrap` (scripts/get-promtool) into target/tools, else on PATH.
fn promtool() -> Option<std::path::PathBuf> {
    let local = project_root().join("target/tools/prometheus/usr/bin/promtool");
    if local.is_file() {
        return Some(local);
    }
    Command::new("promtool").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| "promtool".into())
}

/// The `veriregime_*` names an expression text uses.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("veriregime_") {
        let tail = &rest[i..];
        let end = tail.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')).unwrap_or(tail.len());
        // Only where a name starts (not inside another identifier).
        let starts = i == 0 || !rest[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if starts && end > "veriregime_".len() {
            out.insert(tail[..end].to_string());
        }
        rest = &tail[end.max(1)..];
    }
    out
}

/// The names the node exports: each metric, and a histogram's `_bucket`, `_sum` and `_count`.
fn exported() -> std::collections::BTreeSet<String> {
    let m = veriregime_node::daemon::metrics::Metrics::new(60_000);
    let mut out = std::collections::BTreeSet::new();
    for n in &m.names {
        out.insert(n.clone());
        // The node's one histogram (a new one fails the coverage check below until added here).
        for s in ["_bucket", "_sum", "_count"] {
            if n == "veriregime_stage_seconds" {
                out.insert(format!("{n}{s}"));
            }
        }
    }
    out
}

fn dashboard() -> serde_json::Value {
    let text = std::fs::read_to_string(deploy_dir().join("dashboard.json")).unwrap();
    serde_json::from_str(&text).expect("dashboard.json is JSON")
}

fn dashboard_exprs(d: &serde_json::Value) -> Vec<String> {
    d["panels"].as_array().unwrap().iter().flat_map(|p| p["targets"].as_array().unwrap().iter().map(|t| t["expr"].as_str().unwrap().to_string())).collect()
}

#[test]
fn alert_rules_and_dashboard_use_only_the_node_metrics() {
    let exported = exported();
    let rules = metric_names(&std::fs::read_to_string(deploy_dir().join("alerts.yml")).unwrap());
    let board = metric_names(&dashboard_exprs(&dashboard()).join("\n"));
    assert!(rules.len() >= 10 && board.len() >= 10, "{rules:?} {board:?}");
    for (what, used) in [("alerts.yml", &rules), ("dashboard.json", &board)] {
        let unknown: Vec<_> = used.difference(&exported).collect();
        assert!(unknown.is_empty(), "{what} uses metrics the node does not export: {unknown:?} (exported: {exported:?})");
    }
    // The dashboard shows every metric the node has.
    let m = veriregime_node::daemon::metrics::Metrics::new(60_000);
    let shown: Vec<_> = m.names.iter().filter(|n| !board.iter().any(|b| b == *n || b.strip_suffix("_bucket") == Some(n.as_str()))).collect();
    assert!(shown.is_empty(), "dashboard.json leaves out {shown:?}");
    // A name the node does not have is caught (the check can fail).
    assert!(!metric_names("rate(veriregime_rounds_totl[5m])").is_subset(&exported));
}

#[test]
fn dashboard_has_what_grafana_needs() {
    let d = dashboard();
    for k in ["uid", "title"] {
        assert!(d[k].as_str().is_some_and(|s| !s.is_empty()), "dashboard.json: no {k}");
    }
    assert!(d["schemaVersion"].as_u64().is_some_and(|v| v >= 30), "dashboard.json: schemaVersion");
    let vars: Vec<&str> = d["templating"]["list"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert!(vars.contains(&"datasource") && vars.contains(&"instance"), "{vars:?}");
    let mut ids = std::collections::BTreeSet::new();
    for p in d["panels"].as_array().unwrap() {
        let title = p["title"].as_str().expect("each panel has a title");
        assert!(ids.insert(p["id"].as_u64().expect("each panel has an id")), "{title}: duplicate id");
        assert!(["timeseries", "stat", "gauge", "table", "bargauge"].contains(&p["type"].as_str().unwrap()), "{title}: type");
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{title}: datasource");
        let g = &p["gridPos"];
        let (x, w, h) = (g["x"].as_u64().unwrap(), g["w"].as_u64().unwrap(), g["h"].as_u64().unwrap());
        assert!(g["y"].as_u64().is_some() && w > 0 && h > 0 && x + w <= 24, "{title}: gridPos {g}");
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title}: no query");
        for t in targets {
            assert!(t["refId"].as_str().is_some() && t["expr"].as_str().is_some_and(|e| !e.is_empty()), "{title}: target {t}");
        }
    }
}

#[test]
fn alert_rules_and_dashboard_queries_pass_promtool() {
    let Some(promtool) = promtool() else {
        eprintln!("SKIPPED: promtool not found (run `make bootstrap`, which unpacks Debian's prometheus package into target/tools, or put promtool on PATH)");
        return;
    };
    let rules = deploy_dir().join("alerts.yml");
    let o = Command::new(&promtool).args(["check", "rules"]).arg(&rules).output().unwrap();
    assert!(o.status.success(), "promtool check rules alerts.yml:\n{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    // The dashboard's queries as recording rules: promtool parses each (Grafana's $instance as a regex).
    let dir = tempfile::tempdir().unwrap();
    let exprs = dashboard_exprs(&dashboard());
    let mut text = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, e) in exprs.iter().enumerate() {
        text += &format!("      - record: dashboard:q{i}\n        expr: {}\n", serde_json::to_string(&e.replace("$instance", ".*")).unwrap());
    }
    std::fs::write(dir.path().join("dashboard.yml"), text).unwrap();
    let o = Command::new(&promtool).args(["check", "rules"]).arg(dir.path().join("dashboard.yml")).output().unwrap();
    assert!(o.status.success(), "the dashboard's queries:\n{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    // The alerts fire on the series they are for: a low balance, a dead chain, rounds that stop.
    let test = format!(
        r#"rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'veriregime_operator_balance_eth{{instance="n1"}}'
        values: '0.5 0.5 0.01x20'
      - series: 'veriregime_up{{instance="n1",part="chain"}}'
        values: '1 1 0x10'
      - series: 'veriregime_rounds_total{{instance="n1",feed="BTCUSDT",outcome="skipped"}}'
        values: '0+1x30'
    alert_rule_test:
      - eval_time: 10m
        alertname: VeriregimeBalanceLow
        exp_alerts:
          - exp_labels: {{severity: warning, instance: n1}}
            exp_annotations:
              summary: "The operator account holds 0.01 ETH"
              description: "Fund the operator's address (`veriregime oracle key address`); without gas no round is submitted."
      - eval_time: 1m
        alertname: VeriregimeBalanceLow
        exp_alerts: []
      - eval_time: 6m
        alertname: VeriregimeDependencyDown
        exp_alerts:
          - exp_labels: {{severity: critical, instance: n1, part: chain}}
            exp_annotations: {{summary: "The node's chain is down", description: "GET /health on the metrics port names since when and why."}}
      - eval_time: 20m
        alertname: VeriregimeRoundsSkipped
        exp_alerts:
          - exp_labels: {{severity: warning, feed: BTCUSDT}}
            exp_annotations: {{summary: "15 rounds of BTCUSDT skipped in 15 minutes", description: "`veriregime oracle status` gives the reason of each."}}
"#,
        rules = serde_json::to_string(rules.to_str().unwrap()).unwrap()
    );
    std::fs::write(dir.path().join("test.yml"), test).unwrap();
    let o = Command::new(&promtool).args(["test", "rules"]).arg(dir.path().join("test.yml")).output().unwrap();
    assert!(o.status.success(), "promtool test rules:\n{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn systemd_unit_is_valid_and_hardened() {
    let text = std::fs::read_to_string(deploy_dir().join("veriregime-oracle.service")).unwrap();
    let settings: Vec<(&str, &str)> =
        text.lines().map(str::trim).filter(|l| !l.starts_with('#') && l.contains('=')).map(|l| l.split_once('=').unwrap()).collect();
    let has = |k: &str, v: &str| settings.iter().any(|s| *s == (k, v));
    for (k, v) in [
        ("DynamicUser", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("Restart", "on-failure"),
        ("CapabilityBoundingSet", ""),
        ("StateDirectory", "veriregime"),
    ] {
        assert!(has(k, v), "veriregime-oracle.service: no {k}={v}");
    }
    // The credentials reach the config's own settings (VERIREGIME_<SECTION>__<KEY>).
    let chain = serde_json::to_value(veriregime_node::daemon::config::Config::default().chain).unwrap();
    for (env, key) in [("VERIREGIME_CHAIN__KEYSTORE=%d/keystore", "keystore"), ("VERIREGIME_CHAIN__KEYSTORE_PASSWORD_FILE=%d/keystore-password", "keystore_password_file")] {
        assert!(has("Environment", env), "no Environment={env}");
        assert!(chain.as_object().unwrap().contains_key(key), "the config has no chain.{key}");
    }
    assert!(has("LoadCredential", "keystore:/etc/veriregime/operator.json") && has("LoadCredential", "keystore-password:/etc/veriregime/operator.pw"));
    // systemd waits longer than the daemon's shutdown grace before it kills.
    let grace_s = veriregime_node::daemon::config::Config::default().daemon.shutdown_grace_ms / 1000;
    let stop: u64 = settings.iter().find(|s| s.0 == "TimeoutStopSec").unwrap().1.trim_end_matches('s').parse().unwrap();
    assert!(stop > grace_s, "TimeoutStopSec={stop} s is not above the shutdown grace {grace_s} s");
    // The command is one the binary has.
    let exec = settings.iter().find(|s| s.0 == "ExecStart").unwrap().1;
    let args: Vec<&str> = exec.split_whitespace().skip(1).collect();
    assert_eq!(&args[..2], ["oracle", "run"]);
    ok(&bin(&["oracle", "run", "--help"], &[]));

    let analyze = Command::new("systemd-analyze").arg("--version").output();
    if !analyze.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: systemd-analyze not found; checked the unit's settings only");
        return;
    }
    // verify, with ExecStart pointing at the binary just built (verify checks it exists).
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("veriregime-oracle.service");
    std::fs::write(&unit, text.replace("/usr/local/bin/veriregime", env!("CARGO_BIN_EXE_veriregime"))).unwrap();
    let o = Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(&unit).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    // Each complaint about the unit names its file; anything else is the container's (no PID 1).
    let complaints: Vec<&str> = stderr.lines().filter(|l| l.contains("veriregime-oracle.service")).collect();
    assert!(o.status.success() && complaints.is_empty(), "systemd-analyze verify:\n{stderr}");
    let o = Command::new("systemd-analyze").args(["security", "--offline=yes"]).arg(&unit).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let Some(level) = out.lines().find_map(|l| l.split("Overall exposure level for veriregime-oracle.service: ").nth(1)) else {
        eprintln!("SKIPPED: this systemd-analyze has no offline security rating:\n{out}{}", String::from_utf8_lossy(&o.stderr));
        return;
    };
    let score: f64 = level.split_whitespace().next().unwrap().parse().unwrap();
    println!("systemd-analyze security: exposure {score}");
    assert!(score <= 2.0, "exposure {score} > 2.0:\n{out}");
}

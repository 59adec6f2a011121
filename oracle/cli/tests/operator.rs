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

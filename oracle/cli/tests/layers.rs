//! The workspace's shape, checked: crates depend one way only, and the node's crates (and the
//! binary built without the `lab` feature) link neither candle nor plotters.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(env!("CARGO_MANIFEST_DIR")).arg("--offline");
    c
}

/// Package names `cargo tree` lists for these arguments (normal dependencies only).
fn tree(args: &[&str]) -> BTreeSet<String> {
    let out = cargo().args(["tree", "--locked", "-e", "normal", "--prefix", "none", "--format", "{p}"]).args(args).output().expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next()).map(String::from).collect()
}

const HEAVY: [&str; 4] = ["candle-core", "candle-nn", "plotters", "veriregime-lab"];

#[test]
fn the_node_builds_without_the_lab() {
    for args in [&["-p", "veriregime-node"][..], &["-p", "veriregime", "--no-default-features"][..]] {
        let deps = tree(args);
        assert!(deps.contains("veriregime-node"), "{args:?} lists {deps:?}");
        for heavy in HEAVY {
            assert!(!deps.contains(heavy), "cargo tree {args:?} pulls in {heavy}");
        }
    }
    // The check can fail: the full binary does link the lab.
    let full = tree(&["-p", "veriregime"]);
    assert!(HEAVY.iter().all(|h| full.contains(*h)), "the full binary links the lab: {full:?}");
}

#[test]
fn crates_depend_one_way() {
    // Each crate and the workspace crates it may use: only those below it.
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("veriregime-core", &[][..]),
        ("veriregime-zk", &["veriregime-core"][..]),
        ("veriregime-chain", &["veriregime-core", "veriregime-zk"][..]),
        ("veriregime-node", &["veriregime-core", "veriregime-zk", "veriregime-chain"][..]),
        ("veriregime-lab", &["veriregime-core", "veriregime-zk", "veriregime-chain"][..]),
        ("veriregime", &["veriregime-core", "veriregime-zk", "veriregime-chain", "veriregime-node", "veriregime-lab"][..]),
    ]);
    let out = cargo().args(["metadata", "--locked", "--format-version", "1", "--no-deps"]).output().expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    assert_eq!(packages.len(), allowed.len(), "every workspace crate has a place in the layering");
    for p in packages {
        let name = p["name"].as_str().unwrap();
        let ok = allowed.get(name).unwrap_or_else(|| panic!("{name} has no place in the layering"));
        for d in p["dependencies"].as_array().unwrap() {
            let dep = d["name"].as_str().unwrap();
            if dep.starts_with("veriregime") && d["kind"].is_null() {
                assert!(ok.contains(&dep), "{name} depends on {dep}, which is not below it");
            }
        }
    }
}

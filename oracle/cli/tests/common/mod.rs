//! Helpers shared by the integration tests that need the full set-up.

use std::path::Path;

/// Fails with what to run when `make test`'s set-up (anvil, forge output, ezkl, the proving key)
/// is missing.
pub fn require_setup(root: &Path) {
    for (p, what) in [
        ("scripts/node_modules/.bin/anvil", "the npm toolchain"),
        ("out/Halo2Verifier.sol/Halo2Verifier.json", "forge build output"),
        (".venv/bin/python", "the ezkl virtualenv"),
        ("circuits/student/pk.key", "the student's proving key"),
    ] {
        assert!(root.join(p).exists(), "{p} is missing ({what}): run `make test`, which sets it up");
    }
}

/// A daemon config for the loopback fake exchange and a local anvil (short timeouts, quick
/// polling; the fake's clock a day behind and running twice as fast: 2 days of skew accepted at
/// start, and a minute of its drift against the local clock before an answer counts as a jump);
/// `extra` is appended (e.g. a
/// `[network]` section). Relative paths are the config folder's.
#[allow(dead_code)] // each test binary uses its own part of this module
pub fn daemon_config(exchange: &str, rpc: &str, deployments: &Path, model: &Path, circuit: &Path, metrics_listen: &str, extra: &str) -> String {
    format!(
        r#"
[exchange]
base_url = "{exchange}"
timeout_ms = 1000
max_attempts = 5
backoff_ms = 50
settle_ms = 500
max_clock_skew_ms = 172800000
max_clock_jump_ms = 60000
data_attempts = 3

[chain]
rpc_url = "{rpc}"
deployments = "{deployments}"
confirm_timeout_ms = 5000
rpc_attempts = 4
rpc_timeout_ms = 2000
rpc_backoff_ms = 200

[model]
dir = "{model}"
circuit = "{circuit}"
prove_timeout_ms = 120000

[[feeds]]
symbol = "BTCUSDT"
every_minutes = 1

[daemon]
db = "rounds.db"
work_dir = "work"
poll_ms = 200
metrics_listen = "{metrics_listen}"
shutdown_grace_ms = 90000
{extra}"#,
        deployments = deployments.display(),
        model = model.display(),
        circuit = circuit.display(),
    )
}

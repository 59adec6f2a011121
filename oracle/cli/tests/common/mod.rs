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

//! `veriregime`: the command-line front of the library crates. Results go to stdout, logs to stderr.

use clap::Parser;

mod cmd;

/// The node's binary keeps the allocator the lab sets (see `veriregime_lab`'s crate root).
#[cfg(not(feature = "lab"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = cmd::Cli::parse();
    cmd::init_tracing(cli.log_json);
    if let Err(e) = cli.run() {
        // Credentials of any URL in the chain are masked (veriregime_core::redact).
        eprintln!("error: {}", veriregime_core::redact::scrub(&format!("{e:#}")));
        std::process::exit(1);
    }
}

//! `veriregime`: the command-line front of the library. Results go to stdout, logs to stderr.

use clap::Parser;

fn main() {
    let cli = veriregime::cmd::Cli::parse();
    veriregime::cmd::init_tracing(cli.log_json);
    if let Err(e) = cli.run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

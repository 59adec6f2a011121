//! Progress on stderr for long steps, and stage timings.

use std::time::{Duration, Instant};

/// A spinner on stderr for long steps (hidden when stderr is not a terminal).
pub fn spinner(msg: String) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"));
    pb.set_message(msg);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Seconds since `t`, for stage timings.
pub fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

//! The HTTP retry policy shared by the archive fetcher and the exchange client: which answers are
//! worth retrying, how long to wait (the server's `Retry-After`, else exponential backoff with full
//! jitter), and how often.

use rand::Rng;
use reqwest::StatusCode;
use std::time::Duration;

/// 5xx, 429 (rate limit) and 418 (Binance's ban after ignoring 429s) are worth waiting for.
pub fn retryable(s: StatusCode) -> bool {
    s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s.as_u16() == 418
}

/// The `Retry-After` header in seconds, when the server sent one.
pub fn retry_after(r: &reqwest::Response) -> Option<Duration> {
    let v = r.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Attempts and backoff of one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_backoff: Duration,
    /// Longest wait between two attempts, `Retry-After` included (a server asking for more is
    /// answered with an error rather than a stalled round).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, base_backoff: Duration::from_millis(500), max_wait: Duration::from_secs(120) }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: `Retry-After` when given, else a random duration in
    /// [0.5, 1) x base x 2^(attempt-1); never more than `max_wait`.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let w = retry_after.unwrap_or_else(|| {
            let cap = self.base_backoff * 2u32.saturating_pow(attempt.saturating_sub(1));
            cap.mul_f64(rand::thread_rng().gen_range(0.5..1.0))
        });
        w.min(self.max_wait)
    }

    /// Sleeps before a retry and logs why.
    pub async fn pause(&self, attempt: u32, retry_after: Option<Duration>, why: &str) {
        let wait = self.wait(attempt, retry_after);
        tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, "{why}; retrying");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let p = RetryPolicy { max_attempts: 5, base_backoff: Duration::from_millis(100), max_wait: Duration::from_secs(2) };
        for attempt in 1..=4 {
            let w = p.wait(attempt, None);
            let cap = Duration::from_millis(100 * 2u64.pow(attempt - 1));
            assert!(w >= cap / 2 && w < cap, "attempt {attempt}: {w:?}");
        }
        assert_eq!(p.wait(1, Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(p.wait(1, Some(Duration::from_secs(600))), Duration::from_secs(2));
        assert!(retryable(StatusCode::from_u16(418).unwrap()) && retryable(StatusCode::BAD_GATEWAY));
        assert!(!retryable(StatusCode::BAD_REQUEST));
    }
}

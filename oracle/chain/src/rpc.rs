//! A provider whose every RPC call has a timeout (a node that accepts connections and never
//! answers must not stall its caller), and whose transport reports each call's outcome (the
//! daemon's `/health` says when the chain is down). The timeout is the reqwest client's, handed
//! to alloy's HTTP transport.

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::client::RpcClient;
use alloy::rpc::json_rpc::{RequestPacket, ResponsePacket};
use alloy::transports::http::{reqwest, Http};
use alloy::transports::{TransportError, TransportFut};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Told the outcome of every RPC call that reached (or failed to reach) the node: `Ok` when the
/// node answered (an answer that is a JSON-RPC error, such as a revert, is still an answer),
/// `Err` with the scrubbed reason when it could not be reached or did not answer in time.
pub type Observer = Arc<dyn Fn(Result<(), String>) + Send + Sync>;

/// A provider of the node at `url`, each call timing out after `timeout`, each outcome told to
/// `observer`. Errors name the URL with its credentials masked.
pub fn connect_http(url: &str, timeout: Duration, observer: Option<Observer>) -> anyhow::Result<DynProvider> {
    use anyhow::Context;
    let shown = veriregime_core::redact::redact_url(url);
    let parsed: reqwest::Url = url.parse().map_err(|e| anyhow::anyhow!("the RPC URL {shown} is not a URL: {e}"))?;
    let client = reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("veriregime/", env!("CARGO_PKG_VERSION")))
        .build()
        .with_context(|| format!("cannot build an HTTP client for {shown}"))?;
    let http = Http::with_client(client, parsed);
    let is_local = http.guess_local();
    let rpc = RpcClient::new(Observed { inner: http, observer }, is_local);
    Ok(ProviderBuilder::new().connect_client(rpc).erased())
}

/// The HTTP transport, telling an observer how each call went.
#[derive(Clone)]
struct Observed {
    inner: Http<reqwest::Client>,
    observer: Option<Observer>,
}

impl tower::Service<RequestPacket> for Observed {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: RequestPacket) -> Self::Future {
        let fut = self.inner.call(req);
        let observer = self.observer.clone();
        Box::pin(async move {
            let r = fut.await;
            if let Some(o) = observer {
                match &r {
                    Ok(_) => o(Ok(())),
                    // A node that answers with an HTTP error status is up but failing.
                    Err(e) => o(Err(veriregime_core::redact::error_chain(e))),
                }
            }
            r
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn a_node_that_never_answers_times_out_and_is_reported() {
        // Accepts connections, reads nothing, answers nothing.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let mut keep = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                keep.push(s);
            }
        });
        let seen: Arc<Mutex<Vec<Result<(), String>>>> = Arc::default();
        let s2 = seen.clone();
        let url = format!("http://op:s3cret-pw@{addr}/v3/9aa3d95b3bc440fa88ea12eaa4456161");
        let p = connect_http(&url, Duration::from_millis(300), Some(Arc::new(move |r| s2.lock().unwrap().push(r)))).unwrap();
        let t = std::time::Instant::now();
        let e = p.get_chain_id().await.unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
        let text = veriregime_core::redact::error_chain(&e);
        assert!(text.contains("timed out"), "{text}");
        assert!(!text.contains("s3cret-pw") && !text.contains("9aa3d95b3bc440fa88ea12eaa4456161"), "{text}");
        let seen = seen.lock().unwrap();
        assert!(matches!(seen.as_slice(), [Err(why)] if why.contains("timed out") && !why.contains("s3cret")), "{seen:?}");
        held.abort();
        let e = connect_http("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", Duration::from_secs(1), None).unwrap_err().to_string();
        assert!(!e.contains("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"), "{e}");
    }
}

//! Keeping secrets out of messages and logs. RPC and exchange URLs often carry credentials
//! (`http://user:pass@host/...`, `/v3/<API key>`, `?apikey=...`): [`redact_url`] replaces them
//! with `***`, and [`scrub`] does so for every URL inside a text (an error chain from reqwest or
//! alloy prints the URL it failed on) and for every secret registered with [`register_secret`]
//! (the secret parts of the configured URLs, so a library that prints them another way is caught
//! too). The binary's log writer and its error printer scrub every line.

use std::sync::RwLock;

const MASK: &str = "***";

/// Secrets to remove from every text [`scrub`] sees.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Query parameters whose value is a credential whatever it looks like.
fn secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["key", "token", "secret", "pass", "auth", "sig", "credential", "jwt"].iter().any(|w| n.contains(w))
}

/// A path segment or value that looks like an API key: 20 or more characters of letters, digits,
/// `-` and `_`, with both letters and digits (Infura's 32 hex digits, Alchemy's keys). A file
/// name (`BTCUSDT-1m-2024-01-01.zip`) has a dot and is kept.
fn looks_like_key(s: &str) -> bool {
    s.len() >= 20
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

/// The URL with its credentials replaced by `***`: user and password, path segments that look
/// like API keys, and query values that are credentials by name or look. A text that is not a URL
/// comes back whole when nothing in it looks like a key (else `***`).
pub fn redact_url(url: &str) -> String {
    redact_with(url, &mut Vec::new())
}

/// The secret substrings of `url` (what [`redact_url`] masks), for [`register_secret`].
pub fn secret_parts(url: &str) -> Vec<String> {
    let mut parts = Vec::new();
    redact_with(url, &mut parts);
    parts
}

fn redact_with(url: &str, parts: &mut Vec<String>) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        if looks_like_key(url) {
            parts.push(url.to_string());
            return MASK.into();
        }
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            parts.push(userinfo.to_string());
            if let Some((user, pass)) = userinfo.split_once(':') {
                parts.extend([user, pass].iter().filter(|p| p.len() >= 4).map(|p| p.to_string()));
            }
            format!("{MASK}@{host}")
        }
        None => authority.to_string(),
    };
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let (path, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (path, None),
    };
    let path: Vec<String> = path
        .split('/')
        .map(|seg| {
            if looks_like_key(seg) {
                parts.push(seg.to_string());
                MASK.to_string()
            } else {
                seg.to_string()
            }
        })
        .collect();
    let mut out = format!("{scheme}://{host}{}", path.join("/"));
    if let Some(q) = query {
        let (q, frag) = match q.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (q, fragment),
        };
        let pairs: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) if !v.is_empty() && (secret_param(k) || looks_like_key(v)) => {
                    parts.push(v.to_string());
                    format!("{k}={MASK}")
                }
                _ if looks_like_key(pair) => {
                    parts.push(pair.to_string());
                    MASK.to_string()
                }
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
        if let Some(f) = frag {
            out.push('#');
            out.push_str(f);
        }
    } else if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Registers the secret parts of a configured URL (or a secret value itself, when it is not a
/// URL), so that [`scrub`] removes them from any text, in whatever form a library prints them.
pub fn register_secret(url_or_value: &str) {
    let mut parts = secret_parts(url_or_value);
    if !url_or_value.contains("://") && url_or_value.len() >= 8 {
        parts.push(url_or_value.to_string());
    }
    let mut s = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for p in parts.into_iter().filter(|p| p.len() >= 4) {
        if !s.contains(&p) {
            s.push(p);
        }
    }
    // Longest first: a user:pass pair goes before its password alone.
    s.sort_by_key(|p| std::cmp::Reverse(p.len()));
}

/// `text` with every URL in it redacted ([`redact_url`]) and every registered secret replaced by
/// `***`.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = ["http://", "https://", "ws://", "wss://"].iter().filter_map(|p| rest.find(p)).min() {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(|c: char| c.is_whitespace() || "\"'<>()[]{}`,;|\\".contains(c)).unwrap_or(tail.len());
        // A sentence's full stop or colon after a URL is not part of it.
        let url = tail[..end].trim_end_matches(['.', ':']);
        out.push_str(&redact_url(url));
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

/// An error and its causes on one line, `outer: cause: root` (a cause that repeats the text
/// before it is left out), scrubbed.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.last().is_some_and(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    scrub(&parts.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_masked() {
        assert_eq!(redact_url("http://user:pass@host:8545/v3/0123456789abcdef0123456789abcdef"), "http://***@host:8545/v3/***");
        assert_eq!(redact_url("https://eth.example/rpc?apikey=short&chain=1"), "https://eth.example/rpc?apikey=***&chain=1");
        assert_eq!(redact_url("https://x.example/?a=Zq3xR7t9Lm2Kp8Vn4Bc6Hd1F"), "https://x.example/?a=***");
        // What is not a credential stays: the tests and the operator need it.
        for keep in [
            "http://127.0.0.1:8545",
            "https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1700000000000&limit=1000",
            "https://data.binance.vision/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip",
        ] {
            assert_eq!(redact_url(keep), keep);
        }
    }

    #[test]
    fn scrub_masks_urls_inside_text_and_registered_secrets() {
        let msg = "error sending request for url (http://alice:s3cret-pw@node.example/v3/9aa3d95b3bc440fa88ea12eaa4456161): operation timed out";
        let s = scrub(msg);
        assert_eq!(s, "error sending request for url (http://***@node.example/v3/***): operation timed out");
        register_secret("https://bob:hunter22-pw@rpc.example/v2/Zq3xR7t9Lm2Kp8Vn4Bc6Hd1F");
        // A library printing the password or the key on their own.
        let s = scrub("Url { username: \"bob\", password: Some(\"hunter22-pw\"), path: \"/v2/Zq3xR7t9Lm2Kp8Vn4Bc6Hd1F\" }");
        assert!(!s.contains("hunter22-pw") && !s.contains("Zq3xR7t9Lm2Kp8Vn4Bc6Hd1F"), "{s}");
        assert_eq!(scrub("at http://127.0.0.1:8545."), "at http://127.0.0.1:8545.");
    }

    #[test]
    fn an_error_chain_is_one_scrubbed_line() {
        let e = anyhow::anyhow!("operation timed out").context("error sending request for url (http://u:p4ssw0rd@h/)").context("getCommittee");
        let s = error_chain(e.as_ref());
        assert_eq!(s, "getCommittee: error sending request for url (http://***@h/): operation timed out");
    }
}

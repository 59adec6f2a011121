//! The round database (SQLite, WAL, synchronous writes): one row per feed and decision minute, moved
//! through its stages. Each stage is written before the next one starts, and a transaction is
//! written (nonce, hash, raw bytes) before it is broadcast, so a restart after any crash knows
//! what may already be on chain. A skipped round's reason is stored scrubbed of credentials
//! ([`veriregime_core::redact::scrub`]): `oracle status` shows it.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a round is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Its candle has closed; nothing computed yet.
    Due,
    /// Window, features and the float model's signal are known.
    Computed,
    /// A checked proof is stored.
    Proved,
    /// A transaction was signed and broadcast (maybe replaced); awaiting its receipt.
    Submitted,
    /// On chain.
    Confirmed,
    /// Not published, with the reason.
    Skipped,
    /// Computed and checked, not transmitted: the round on chain says the same and the feed's
    /// heartbeat is not due ([`veriregime_core::publish`]); the reason names both.
    Unchanged,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Due => "due",
            Stage::Computed => "computed",
            Stage::Proved => "proved",
            Stage::Submitted => "submitted",
            Stage::Confirmed => "confirmed",
            Stage::Skipped => "skipped",
            Stage::Unchanged => "unchanged",
        }
    }

    fn parse(s: &str) -> rusqlite::Result<Stage> {
        Ok(match s {
            "due" => Stage::Due,
            "computed" => Stage::Computed,
            "proved" => Stage::Proved,
            "submitted" => Stage::Submitted,
            "confirmed" => Stage::Confirmed,
            "skipped" => Stage::Skipped,
            "unchanged" => Stage::Unchanged,
            other => return Err(rusqlite::Error::InvalidColumnType(0, format!("stage {other}"), rusqlite::types::Type::Text)),
        })
    }

    pub fn is_final(self) -> bool {
        matches!(self, Stage::Confirmed | Stage::Skipped | Stage::Unchanged)
    }
}

/// One round as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RoundRow {
    pub feed: String,
    /// Decision minute: open time, epoch ms.
    pub minute: i64,
    pub stage: Stage,
    pub reason: Option<String>,
    pub signal: Option<u8>,
    pub logits: Option<String>,
    /// The exact model input (JSON array of 420 floats), so a proof can be redone after a restart.
    #[serde(skip)]
    pub input: Option<String>,
    #[serde(skip)]
    pub proof: Option<Vec<u8>>,
    #[serde(skip)]
    pub instances: Option<String>,
    pub binding: Option<String>,
    pub nonce: Option<u64>,
    /// Every transaction hash sent for this round (replacements included), JSON array.
    pub txs: Option<String>,
    #[serde(skip)]
    pub raw_tx: Option<Vec<u8>>,
    pub round_id: Option<u64>,
    pub block: Option<u64>,
    pub gas: Option<u64>,
    /// Seconds per stage (fetch, infer, prove, submit, confirm, total), JSON object.
    pub timings: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// The member whose transaction put the round on chain.
    pub transmitter: Option<String>,
    /// The members whose signatures the chain accepted for the round, JSON array.
    pub signers: Option<String>,
    /// Members that signed another input binding than this node's, JSON object
    /// `{"ours": binding, "theirs": {member: binding}}`.
    pub disagreement: Option<String>,
}

impl RoundRow {
    pub fn timings(&self) -> BTreeMap<String, f64> {
        self.timings.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
    }

    /// The stored proof and its instances, as the oracle's `submit` takes them.
    pub fn proven(&self) -> anyhow::Result<(alloy::primitives::Bytes, Vec<alloy::primitives::U256>)> {
        use anyhow::Context;
        let proof = self.proof.clone().context("the round has no stored proof")?;
        let words: Vec<String> = serde_json::from_str(self.instances.as_deref().unwrap_or("")).context("stored instances")?;
        let instances = words.iter().map(|w| veriregime_chain::parse_word(w)).collect::<anyhow::Result<Vec<_>>>()?;
        Ok((proof.into(), instances))
    }

    /// The input binding of the round's proof.
    pub fn binding(&self) -> anyhow::Result<alloy::primitives::B256> {
        use anyhow::Context;
        self.binding.as_deref().context("the round has no stored binding")?.parse().context("stored binding")
    }

    /// The round's signers as stored.
    /// The stored logits (SELL, HOLD, BUY) as `T`; `None` before the round computed them.
    pub fn logits_as<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<Option<T>> {
        self.logits.as_deref().map(serde_json::from_str).transpose()
    }

    pub fn signer_list(&self) -> Vec<String> {
        self.signers.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
    }

    pub fn tx_hashes(&self) -> Vec<String> {
        self.txs.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
    }
}

pub struct Store {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rounds (
    feed TEXT NOT NULL,
    minute INTEGER NOT NULL,
    stage TEXT NOT NULL,
    reason TEXT,
    signal INTEGER,
    logits TEXT,
    input TEXT,
    proof BLOB,
    instances TEXT,
    binding TEXT,
    nonce INTEGER,
    txs TEXT,
    raw_tx BLOB,
    round_id INTEGER,
    block INTEGER,
    gas INTEGER,
    timings TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (feed, minute)
);
";

/// Columns added since the first schema, added to an older database when it is opened.
const ADDED: [(&str, &str); 3] = [("transmitter", "TEXT"), ("signers", "TEXT"), ("disagreement", "TEXT")];

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        use anyhow::Context;
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("cannot open the round database {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA).with_context(|| format!("{}: cannot create the schema", path.display()))?;
        let have: Vec<String> = conn.prepare("SELECT name FROM pragma_table_info('rounds')")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        for (col, ty) in ADDED {
            if !have.iter().any(|h| h == col) {
                conn.execute_batch(&format!("ALTER TABLE rounds ADD COLUMN {col} {ty}"))
                    .with_context(|| format!("{}: cannot add column {col}", path.display()))?;
            }
        }
        Ok(Store { conn })
    }

    /// Opens an existing database for reading (`oracle status`), alongside a running daemon.
    pub fn open_read_only(path: &Path) -> anyhow::Result<Store> {
        use anyhow::Context;
        anyhow::ensure!(path.is_file(), "no round database at {} (has the daemon run with this config?)", path.display());
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).with_context(|| format!("cannot open {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store { conn })
    }

    /// Records that `minute` is due; false when it already has a row.
    pub fn insert_due(&self, feed: &str, minute: i64) -> rusqlite::Result<bool> {
        let t = now_ms();
        let n = self
            .conn
            .execute("INSERT OR IGNORE INTO rounds (feed, minute, stage, created_ms, updated_ms) VALUES (?1, ?2, 'due', ?3, ?3)", params![feed, minute, t])?;
        Ok(n == 1)
    }

    /// Records minutes that were never started, each skipped with `reason` (one transaction).
    pub fn insert_skipped(&mut self, feed: &str, minutes: &[i64], reason: &str) -> rusqlite::Result<usize> {
        let t = now_ms();
        let reason = veriregime_core::redact::scrub(reason);
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut st =
                tx.prepare("INSERT OR IGNORE INTO rounds (feed, minute, stage, reason, created_ms, updated_ms) VALUES (?1, ?2, 'skipped', ?3, ?4, ?4)")?;
            for m in minutes {
                n += st.execute(params![feed, m, &reason, t])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    pub fn set_computed(&self, feed: &str, minute: i64, signal: u8, logits: &[f32; 3], input: &[f32]) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE rounds SET stage = 'computed', signal = ?3, logits = ?4, input = ?5, updated_ms = ?6 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, signal, serde_json::to_string(logits).unwrap_or_default(), serde_json::to_string(input).unwrap_or_default(), now_ms()],
        )?;
        Ok(())
    }

    pub fn set_proved(&self, feed: &str, minute: i64, proof: &[u8], instances: &str, binding: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE rounds SET stage = 'proved', proof = ?3, instances = ?4, binding = ?5, updated_ms = ?6 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, proof, instances, binding, now_ms()],
        )?;
        Ok(())
    }

    /// Records a signed transaction before it is broadcast (appending its hash to the round's).
    pub fn set_submitted(&self, feed: &str, minute: i64, nonce: u64, hash: &str, raw: &[u8]) -> rusqlite::Result<()> {
        let row = self.get(feed, minute)?;
        let mut txs = row.map(|r| r.tx_hashes()).unwrap_or_default();
        if !txs.iter().any(|h| h == hash) {
            txs.push(hash.to_string());
        }
        self.conn.execute(
            "UPDATE rounds SET stage = 'submitted', nonce = ?3, txs = ?4, raw_tx = ?5, updated_ms = ?6 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, nonce as i64, serde_json::to_string(&txs).unwrap_or_default(), raw, now_ms()],
        )?;
        Ok(())
    }

    pub fn set_confirmed(&self, feed: &str, minute: i64, round_id: u64, block: u64, gas: u64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE rounds SET stage = 'confirmed', round_id = ?3, block = ?4, gas = ?5, reason = NULL, updated_ms = ?6 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, round_id as i64, block as i64, gas as i64, now_ms()],
        )?;
        Ok(())
    }

    /// The input binding this node computed and signed (without a proof of its own).
    pub fn set_binding(&self, feed: &str, minute: i64, binding: &str) -> rusqlite::Result<()> {
        self.conn.execute("UPDATE rounds SET binding = ?3, updated_ms = ?4 WHERE feed = ?1 AND minute = ?2", params![feed, minute, binding, now_ms()])?;
        Ok(())
    }

    /// Who transmitted the round and whose signatures the chain accepted.
    pub fn set_transmission(&self, feed: &str, minute: i64, transmitter: alloy::primitives::Address, signers: &[alloy::primitives::Address]) -> rusqlite::Result<()> {
        let signers: Vec<String> = signers.iter().map(|a| a.to_string()).collect();
        self.conn.execute(
            "UPDATE rounds SET transmitter = ?3, signers = ?4, updated_ms = ?5 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, transmitter.to_string(), serde_json::to_string(&signers).unwrap_or_default(), now_ms()],
        )?;
        Ok(())
    }

    pub fn set_disagreement(&self, feed: &str, minute: i64, disagreement: &serde_json::Value) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE rounds SET disagreement = ?3, updated_ms = ?4 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, disagreement.to_string(), now_ms()],
        )?;
        Ok(())
    }

    /// Records a round found on chain that this node has no row of (it was down or behind).
    pub fn insert_confirmed(&self, feed: &str, minute: i64, round_id: u64, reason: &str) -> rusqlite::Result<bool> {
        let t = now_ms();
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO rounds (feed, minute, stage, reason, round_id, created_ms, updated_ms) VALUES (?1, ?2, 'confirmed', ?3, ?4, ?5, ?5)",
            params![feed, minute, reason, round_id as i64, t],
        )?;
        Ok(n == 1)
    }

    /// Marks a round confirmed by the chain's record, keeping a note of how this node got there.
    pub fn set_confirmed_with_note(&self, feed: &str, minute: i64, round_id: u64, note: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE rounds SET stage = 'confirmed', round_id = ?3, reason = ?4, updated_ms = ?5 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, round_id as i64, note, now_ms()],
        )?;
        Ok(())
    }

    /// The highest round id this node has recorded for the feed.
    pub fn max_round_id(&self, feed: &str) -> rusqlite::Result<Option<u64>> {
        self.conn.query_row("SELECT MAX(round_id) FROM rounds WHERE feed = ?1", params![feed], |r| r.get::<_, Option<i64>>(0)).map(|v| v.map(|v| v as u64))
    }

    pub fn set_skipped(&self, feed: &str, minute: i64, reason: &str) -> rusqlite::Result<()> {
        self.set_final(feed, minute, Stage::Skipped, reason)
    }

    /// The round was computed and is not transmitted: the chain's round says the same.
    pub fn set_unchanged(&self, feed: &str, minute: i64, reason: &str) -> rusqlite::Result<()> {
        self.set_final(feed, minute, Stage::Unchanged, reason)
    }

    fn set_final(&self, feed: &str, minute: i64, stage: Stage, reason: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE rounds SET stage = ?3, reason = ?4, updated_ms = ?5 WHERE feed = ?1 AND minute = ?2",
            params![feed, minute, stage.as_str(), veriregime_core::redact::scrub(reason), now_ms()],
        )?;
        Ok(())
    }

    /// Adds stage timings (seconds) to the round's.
    pub fn add_timings(&self, feed: &str, minute: i64, add: &[(&str, f64)]) -> rusqlite::Result<()> {
        let mut t = self.get(feed, minute)?.map(|r| r.timings()).unwrap_or_default();
        for (k, v) in add {
            t.insert(k.to_string(), *v);
        }
        self.conn
            .execute("UPDATE rounds SET timings = ?3 WHERE feed = ?1 AND minute = ?2", params![feed, minute, serde_json::to_string(&t).unwrap_or_default()])?;
        Ok(())
    }

    pub fn get(&self, feed: &str, minute: i64) -> rusqlite::Result<Option<RoundRow>> {
        self.conn.query_row(&format!("SELECT {COLS} FROM rounds WHERE feed = ?1 AND minute = ?2"), params![feed, minute], row).optional()
    }

    /// The latest minute with a row.
    pub fn last_minute(&self, feed: &str) -> rusqlite::Result<Option<i64>> {
        self.conn.query_row("SELECT MAX(minute) FROM rounds WHERE feed = ?1", params![feed], |r| r.get(0))
    }

    /// Rounds not yet confirmed or skipped, oldest first.
    pub fn unfinished(&self, feed: &str) -> rusqlite::Result<Vec<RoundRow>> {
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM rounds WHERE feed = ?1 AND stage NOT IN ('confirmed', 'skipped') ORDER BY minute"))?;
        let rows = st.query_map(params![feed], row)?.collect();
        rows
    }

    /// The most recent `n` rounds of every feed, newest first.
    pub fn recent(&self, n: usize) -> rusqlite::Result<Vec<RoundRow>> {
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM rounds ORDER BY minute DESC, feed LIMIT ?1"))?;
        let rows = st.query_map(params![n as i64], row)?.collect();
        rows
    }

    /// Every round of `feed`, oldest first.
    pub fn all(&self, feed: &str) -> rusqlite::Result<Vec<RoundRow>> {
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM rounds WHERE feed = ?1 ORDER BY minute"))?;
        let rows = st.query_map(params![feed], row)?.collect();
        rows
    }

    /// Round counts per stage.
    pub fn counts(&self) -> rusqlite::Result<BTreeMap<String, u64>> {
        let mut st = self.conn.prepare("SELECT stage, COUNT(*) FROM rounds GROUP BY stage")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?.collect();
        rows
    }
}

const COLS: &str = "feed, minute, stage, reason, signal, logits, input, proof, instances, binding, nonce, txs, raw_tx, round_id, block, gas, timings, created_ms, updated_ms, transmitter, signers, disagreement";

fn row(r: &rusqlite::Row) -> rusqlite::Result<RoundRow> {
    let u = |i: usize| -> rusqlite::Result<Option<u64>> { Ok(r.get::<_, Option<i64>>(i)?.map(|v| v as u64)) };
    Ok(RoundRow {
        feed: r.get(0)?,
        minute: r.get(1)?,
        stage: Stage::parse(&r.get::<_, String>(2)?)?,
        reason: r.get(3)?,
        signal: r.get(4)?,
        logits: r.get(5)?,
        input: r.get(6)?,
        proof: r.get(7)?,
        instances: r.get(8)?,
        binding: r.get(9)?,
        nonce: u(10)?,
        txs: r.get(11)?,
        raw_tx: r.get(12)?,
        round_id: u(13)?,
        block: u(14)?,
        gas: u(15)?,
        timings: r.get(16)?,
        created_ms: r.get(17)?,
        updated_ms: r.get(18)?,
        transmitter: r.get(19)?,
        signers: r.get(20)?,
        disagreement: r.get(21)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_moves_through_its_stages_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.db");
        {
            let mut s = Store::open(&p).unwrap();
            assert!(s.insert_due("BTCUSDT", 60_000).unwrap());
            assert!(!s.insert_due("BTCUSDT", 60_000).unwrap(), "a minute is recorded once");
            s.set_computed("BTCUSDT", 60_000, 2, &[0.1, 0.2, 0.3], &[0.5; 4]).unwrap();
            s.set_proved("BTCUSDT", 60_000, &[1, 2, 3], "[\"0x1\"]", "0xab").unwrap();
            s.set_submitted("BTCUSDT", 60_000, 7, "0xaa", &[9]).unwrap();
            s.set_submitted("BTCUSDT", 60_000, 7, "0xbb", &[10]).unwrap();
            s.add_timings("BTCUSDT", 60_000, &[("prove", 1.5)]).unwrap();
            assert_eq!(s.insert_skipped("BTCUSDT", &[120_000, 180_000, 60_000], "down").unwrap(), 2);
        }
        let s = Store::open(&p).unwrap();
        let r = s.get("BTCUSDT", 60_000).unwrap().unwrap();
        assert_eq!((r.stage, r.signal, r.nonce), (Stage::Submitted, Some(2), Some(7)));
        assert_eq!(r.tx_hashes(), ["0xaa", "0xbb"]);
        assert_eq!(r.raw_tx.as_deref(), Some(&[10u8][..]));
        assert_eq!(r.timings()["prove"], 1.5);
        assert_eq!(s.unfinished("BTCUSDT").unwrap().len(), 1);
        assert_eq!(s.last_minute("BTCUSDT").unwrap(), Some(180_000));
        s.set_confirmed("BTCUSDT", 60_000, 1, 5, 650_000).unwrap();
        assert!(s.unfinished("BTCUSDT").unwrap().is_empty());
        assert_eq!(s.counts().unwrap()["skipped"], 2);
        let ro = Store::open_read_only(&p).unwrap();
        assert_eq!(ro.recent(10).unwrap().len(), 3);
    }
}

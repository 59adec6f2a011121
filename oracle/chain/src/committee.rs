//! A feed's committee as the oracle holds it: members, threshold k and version (read from the
//! chain, never taken from peers or config), who transmits a minute, and the packed signatures
//! `submit` takes.

use crate::report::{domain, Report};
use crate::ISignalOracle;
use alloy::primitives::{Address, Bytes, Signature, B256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::Eip712Domain;
use anyhow::Context;

/// A feed's committee at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    pub members: Vec<Address>,
    pub threshold: usize,
    pub version: u32,
}

/// What a submission carries for its committee: the members of the version its reports were signed
/// under, in order (the oracle keeps only their hash, so a submission names them), and the packed
/// signatures ([`pack`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    pub members: Vec<Address>,
    pub signatures: Bytes,
}

impl Committee {
    /// A submission's committee part: these members and `signatures`.
    pub fn quorum(&self, signatures: Bytes) -> Quorum {
        Quorum { members: self.members.clone(), signatures }
    }

    /// The committee the oracle holds for `feed` now.
    pub async fn read<P: Provider>(provider: &P, oracle: Address, feed: B256) -> anyhow::Result<Committee> {
        let c = ISignalOracle::new(oracle, provider)
            .getCommittee(feed)
            .call()
            .await
            .map_err(|e| anyhow::anyhow!("getCommittee of feed {feed} on {oracle}: {}", crate::describe_revert(&e)))?;
        Ok(Committee { members: c.members, threshold: c.threshold as usize, version: c.version })
    }

    /// The report of `feed`'s round of `decision_minute_s` under this committee.
    pub fn report(&self, feed: B256, model: B256, decision_minute_s: u64, binding: B256) -> Report {
        Report { feedId: feed, modelId: model, decisionMinute: decision_minute_s, inputBinding: binding, committeeVersion: self.version }
    }

    /// The member's place in the committee (its bit in a round's `signers`).
    pub fn index_of(&self, who: Address) -> Option<usize> {
        self.members.iter().position(|m| *m == who)
    }

    /// The members whose bits are set in a round's `signers` bitmap.
    pub fn signers_of(&self, bitmap: alloy::primitives::U256) -> Vec<Address> {
        self.members.iter().enumerate().filter(|(i, _)| bitmap.bit(*i)).map(|(_, m)| *m).collect()
    }

    /// Who transmits `feed`'s round of `decision_minute_s`, first to last: the rotation starts at
    /// member `keccak256(feed ‖ minute) mod n` (so it spreads over the members whatever the feed's
    /// cadence, where `minute mod n` would pick the same member every hour of a 3-member committee)
    /// and goes round the committee; the next ones take over, in order, when it does not send.
    pub fn transmit_order(&self, feed: B256, decision_minute_s: u64) -> Vec<Address> {
        let n = self.members.len();
        if n == 0 {
            return Vec::new();
        }
        let mut seed = feed.to_vec();
        seed.extend_from_slice(&decision_minute_s.to_be_bytes());
        let h = alloy::primitives::U256::from_be_bytes(alloy::primitives::keccak256(seed).0);
        let start = (h % alloy::primitives::U256::from(n)).to::<usize>();
        (0..n).map(|k| self.members[(start + k) % n]).collect()
    }
}

/// A round as the oracle stores it, with who sent it and whose signatures it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRecord {
    pub round_id: u64,
    pub decision_minute_s: u64,
    pub input_binding: B256,
    pub transmitter: Address,
    /// The members whose signatures counted, in committee order.
    pub signers: Vec<Address>,
}

/// What decides whether a round of `feed` is transmitted ([`veriregime_core::publish`]): the
/// feed's heartbeat and its latest round on chain (none before the first), against `model_id`.
pub async fn read_publishing<P: Provider>(
    provider: &P,
    oracle: Address,
    feed: B256,
    model_id: B256,
) -> anyhow::Result<(veriregime_core::publish::PublishRule, Option<veriregime_core::publish::Published>)> {
    let o = ISignalOracle::new(oracle, provider);
    let f = o.getFeed(feed).call().await.map_err(|e| anyhow::anyhow!("getFeed of feed {feed}: {}", crate::describe_revert(&e)))?;
    let rule = veriregime_core::publish::PublishRule::new(f.heartbeat as u64).with_context(|| format!("the heartbeat of feed {feed} on chain"))?;
    if f.latestRoundId == 0 {
        return Ok((rule, None));
    }
    let id = alloy::primitives::U256::from(f.latestRoundId);
    let r = o.getRound(feed, id).call().await.map_err(|e| anyhow::anyhow!("getRound({}) of feed {feed}: {}", f.latestRoundId, crate::describe_revert(&e)))?;
    let published = veriregime_core::publish::Published { signal: r.signal as u8, decision_minute_s: r.decisionMinute, same_model: r.modelId == model_id };
    Ok((rule, Some(published)))
}

/// Round `round_id` of `feed` with its signers (`getRound` and `getRoundSigners`).
pub async fn read_round<P: Provider>(provider: &P, oracle: Address, feed: B256, round_id: u64) -> anyhow::Result<RoundRecord> {
    let o = ISignalOracle::new(oracle, provider);
    let id = alloy::primitives::U256::from(round_id);
    let r = o.getRound(feed, id).call().await.map_err(|e| anyhow::anyhow!("getRound({round_id}) of feed {feed}: {}", crate::describe_revert(&e)))?;
    let s = o.getRoundSigners(feed, id).call().await.map_err(|e| anyhow::anyhow!("getRoundSigners({round_id}) of feed {feed}: {}", crate::describe_revert(&e)))?;
    Ok(RoundRecord { round_id, decision_minute_s: r.decisionMinute, input_binding: r.inputBinding, transmitter: r.submitter, signers: s.signerAddresses })
}

/// The oracle's EIP-712 domain on the chain `provider` is on.
pub async fn oracle_domain<P: Provider>(provider: &P, oracle: Address) -> anyhow::Result<Eip712Domain> {
    let chain_id = provider.get_chain_id().await.context("chain id")?;
    Ok(domain(chain_id, oracle))
}

/// One member's signature over one report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedReport {
    pub report: Report,
    pub signer: Address,
    /// 65 bytes, `r ‖ s ‖ v` (v 27 or 28).
    pub signature: Bytes,
}

impl SignedReport {
    /// Signs `report` as `signer`.
    pub fn sign(report: Report, domain: &Eip712Domain, signer: &PrivateKeySigner) -> anyhow::Result<SignedReport> {
        let sig = report.sign(domain, signer)?;
        Ok(SignedReport { report, signer: signer.address(), signature: Bytes::from(sig.as_bytes().to_vec()) })
    }

    /// Whether the signature is `signer`'s over `report` in `domain` (what the oracle will check).
    pub fn verify(&self, domain: &Eip712Domain) -> anyhow::Result<()> {
        let sig = Signature::from_raw(&self.signature).context("a signature is 65 bytes r ‖ s ‖ v")?;
        let who = self.report.signer_of(domain, &sig)?;
        anyhow::ensure!(who == self.signer, "the signature over this report is {who}'s, not {}'s", self.signer);
        Ok(())
    }
}

/// The signatures `submit` takes: 65 bytes each, packed, in the given order.
pub fn pack(signatures: &[&SignedReport]) -> Bytes {
    Bytes::from(signatures.iter().flat_map(|s| s.signature.iter().copied()).collect::<Vec<u8>>())
}

/// The signatures of a packed `submit` argument, with the address each recovers to over `report`.
pub fn unpack(packed: &[u8], report: &Report, domain: &Eip712Domain) -> anyhow::Result<Vec<Address>> {
    anyhow::ensure!(packed.len() % 65 == 0, "{} bytes of signatures is not a multiple of 65", packed.len());
    packed
        .chunks(65)
        .map(|c| {
            let sig = Signature::from_raw(c).context("signature")?;
            report.signer_of(domain, &sig)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transmitter_rotates_by_minute_and_falls_back_in_order() {
        let m: Vec<Address> = (1..=3u8).map(|i| Address::repeat_byte(i)).collect();
        let c = Committee { members: m.clone(), threshold: 2, version: 1 };
        let feed = B256::repeat_byte(5);
        let mut leaders = std::collections::BTreeSet::new();
        for h in 0..24u64 {
            let order = c.transmit_order(feed, 1_700_000_000 / 3600 * 3600 + h * 3600);
            let start = m.iter().position(|a| *a == order[0]).unwrap();
            assert_eq!(order, (0..3).map(|k| m[(start + k) % 3]).collect::<Vec<_>>(), "the fallbacks go round in order");
            leaders.insert(order[0]);
        }
        assert_eq!(leaders.len(), 3, "an hourly feed's rounds are led by every member");
        assert_eq!(c.transmit_order(feed, 60), c.transmit_order(feed, 60), "deterministic");
        assert_eq!(c.signers_of(alloy::primitives::U256::from(0b101u8)), vec![m[0], m[2]]);
    }

    #[test]
    fn packed_signatures_recover_their_signers() {
        let d = domain(31337, Address::repeat_byte(9));
        let r = Report { feedId: B256::repeat_byte(1), modelId: B256::repeat_byte(2), decisionMinute: 120, inputBinding: B256::repeat_byte(3), committeeVersion: 4 };
        let keys: Vec<PrivateKeySigner> = (0..3).map(|_| PrivateKeySigner::random()).collect();
        let signed: Vec<SignedReport> = keys.iter().map(|k| SignedReport::sign(r.clone(), &d, k).unwrap()).collect();
        for s in &signed {
            s.verify(&d).unwrap();
            assert!(matches!(s.signature.last(), Some(27 | 28)), "v is 27 or 28, as OpenZeppelin's ECDSA wants");
        }
        let packed = pack(&signed.iter().collect::<Vec<_>>());
        assert_eq!(unpack(&packed, &r, &d).unwrap(), keys.iter().map(|k| k.address()).collect::<Vec<_>>());
        let forged = SignedReport { signer: keys[1].address(), ..signed[0].clone() };
        assert!(forged.verify(&d).is_err(), "a signature is its own signer's");
    }
}

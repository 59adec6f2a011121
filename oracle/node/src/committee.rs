//! This node's part in its feeds' committees: signing the report of a round whose input binding
//! it computed itself. A committee of one (k = 1, this node its member) needs no peers; a larger
//! threshold needs the other members' signatures over the same binding.

use alloy::primitives::{Address, Bytes, B256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::Eip712Domain;
use std::collections::BTreeMap;
#[cfg(test)]
use veriregime_chain::committee::unpack;
use veriregime_chain::committee::{pack, Committee, Quorum, SignedReport};
use veriregime_chain::Report;

/// Why `who` may not sign for the feed: it is not in the committee the chain holds.
pub fn not_a_member(committee: &Committee, who: Address) -> String {
    format!("{who} is not a member of the feed's committee (version {}: {:?})", committee.version, committee.members)
}

/// Why this node alone cannot have a round counted (`None`: it can, as the sole signer needed).
pub fn alone_refusal(committee: &Committee, me: Address) -> Option<String> {
    if committee.index_of(me).is_none() {
        return Some(not_a_member(committee, me));
    }
    if committee.threshold > 1 {
        return Some(format!(
            "no quorum: the feed's committee needs {} of {} signatures and this node has only its own",
            committee.threshold,
            committee.members.len()
        ));
    }
    None
}

/// A committee of one's part of a submission: its member and this node's signature of the round's report.
pub fn sign_alone(committee: &Committee, domain: &Eip712Domain, signer: &PrivateKeySigner, report: Report) -> Result<Quorum, String> {
    if let Some(why) = alone_refusal(committee, signer.address()) {
        return Err(why);
    }
    let signed = SignedReport::sign(report, domain, signer).map_err(|e| format!("signing the report: {e:#}"))?;
    Ok(committee.quorum(pack(&[&signed])))
}

/// A committee-of-one round's members and signature, read from the chain: the feed's committee now, the
/// oracle's domain, and `signer`'s signature when it alone is enough (else the reason why not).
pub async fn own_signatures<P: alloy::providers::Provider>(
    provider: &P,
    oracle: Address,
    feed: B256,
    model: B256,
    decision_minute_s: u64,
    binding: B256,
    signer: &PrivateKeySigner,
) -> anyhow::Result<Quorum> {
    let committee = Committee::read(provider, oracle, feed).await?;
    let domain = veriregime_chain::committee::oracle_domain(provider, oracle).await?;
    sign_alone(&committee, &domain, signer, committee.report(feed, model, decision_minute_s, binding)).map_err(anyhow::Error::msg)
}

/// What the reports of a round held by this node say about the binding it signed.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Members' reports over exactly this node's report (its binding), in committee order.
    pub agreeing: Vec<SignedReport>,
    /// Members that signed the same round with another input binding.
    pub others: BTreeMap<Address, B256>,
}

impl Tally {
    /// Sorts `reports` (already checked: members' valid signatures) against `ours`, this node's
    /// report of the round; reports of other rounds are left out.
    pub fn of(committee: &Committee, reports: &[SignedReport], ours: &Report) -> Tally {
        let mut t = Tally::default();
        for m in &committee.members {
            let Some(r) = reports.iter().find(|r| r.signer == *m) else {
                continue;
            };
            let same_round = r.report.feedId == ours.feedId
                && r.report.modelId == ours.modelId
                && r.report.decisionMinute == ours.decisionMinute
                && r.report.committeeVersion == ours.committeeVersion;
            if !same_round {
                continue;
            }
            if r.report.inputBinding == ours.inputBinding {
                t.agreeing.push(r.clone());
            } else {
                t.others.insert(*m, r.report.inputBinding);
            }
        }
        t
    }

    /// Whether `k` members signed this node's binding.
    pub fn quorum(&self, k: usize) -> bool {
        self.agreeing.len() >= k
    }

    /// Another binding that `k` members signed, when there is one (this node's window is not the
    /// committee's).
    pub fn rival(&self, k: usize) -> Option<B256> {
        let mut count: BTreeMap<B256, usize> = BTreeMap::new();
        for b in self.others.values() {
            *count.entry(*b).or_default() += 1;
        }
        count.into_iter().find(|(_, n)| *n >= k).map(|(b, _)| b)
    }

    /// `submit`'s signatures: the first `k` agreeing members' (more cost gas and add nothing).
    pub fn signatures(&self, k: usize) -> Bytes {
        pack(&self.agreeing.iter().take(k).collect::<Vec<_>>())
    }

    /// The agreeing members, in committee order.
    pub fn signers(&self) -> Vec<Address> {
        self.agreeing.iter().map(|r| r.signer).collect()
    }

    /// The disagreement as recorded: this node's binding and each dissenting member's.
    pub fn disagreement(&self, ours: B256) -> Option<serde_json::Value> {
        (!self.others.is_empty()).then(|| serde_json::json!({ "ours": ours, "theirs": self.others }))
    }

    /// Why the round has no quorum, for the round's record.
    pub fn no_quorum(&self, committee: &Committee, ours: B256) -> String {
        let mut why = format!(
            "no quorum: {} of the {} signatures needed over this node's input binding {ours} (signed by {:?}; committee version {} of {} members)",
            self.agreeing.len(),
            committee.threshold,
            self.signers(),
            committee.version,
            committee.members.len()
        );
        if let Some(r) = self.rival(committee.threshold) {
            why = format!(
                "disagreement: {} members signed input binding {r}, this node computed {ours} from its own candles and does not sign theirs; {why}",
                committee.threshold
            );
        } else if !self.others.is_empty() {
            why.push_str(&format!("; other bindings signed: {:?}", self.others));
        }
        why
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_members_over_our_binding_and_names_a_rival_quorum() {
        let keys: Vec<PrivateKeySigner> = (0..3).map(|_| PrivateKeySigner::random()).collect();
        let committee = Committee { members: keys.iter().map(|k| k.address()).collect(), threshold: 2, version: 1 };
        let domain = veriregime_chain::report::domain(31337, Address::repeat_byte(7));
        let ours = committee.report(B256::repeat_byte(1), B256::repeat_byte(2), 600, B256::repeat_byte(3));
        let theirs = Report { inputBinding: B256::repeat_byte(4), ..ours.clone() };
        let other_minute = Report { decisionMinute: 660, ..ours.clone() };
        let sign = |r: &Report, k: &PrivateKeySigner| SignedReport::sign(r.clone(), &domain, k).unwrap();

        let t = Tally::of(&committee, &[sign(&ours, &keys[2]), sign(&ours, &keys[0]), sign(&other_minute, &keys[1])], &ours);
        assert!(t.quorum(2));
        assert_eq!(t.signers(), vec![keys[0].address(), keys[2].address()], "committee order");
        assert!(t.others.is_empty() && t.disagreement(ours.inputBinding).is_none(), "another round's report is no disagreement");
        assert_eq!(unpack(&t.signatures(2), &ours, &domain).unwrap(), t.signers());

        // The liar's view: two members signed another binding.
        let t = Tally::of(&committee, &[sign(&ours, &keys[0]), sign(&theirs, &keys[1]), sign(&theirs, &keys[2])], &ours);
        assert!(!t.quorum(2));
        assert_eq!(t.rival(2), Some(theirs.inputBinding));
        let why = t.no_quorum(&committee, ours.inputBinding);
        assert!(why.starts_with("disagreement:") && why.contains("no quorum: 1 of the 2"), "{why}");
        assert_eq!(t.disagreement(ours.inputBinding).unwrap()["theirs"].as_object().unwrap().len(), 2);

        // A non-member's report never counts.
        let outsider = PrivateKeySigner::random();
        let t = Tally::of(&committee, &[sign(&ours, &keys[0]), sign(&ours, &outsider)], &ours);
        assert_eq!(t.agreeing.len(), 1);
    }
}

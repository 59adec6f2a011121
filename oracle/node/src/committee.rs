//! This node's part in its feeds' committees: signing the report of a round whose input binding
//! it computed itself. A committee of one (k = 1, this node its member) needs no peers; a larger
//! threshold needs the other members' signatures over the same binding.

use alloy::primitives::{Address, Bytes, B256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::Eip712Domain;
use veriregime_chain::committee::{pack, Committee, SignedReport};
use veriregime_chain::Report;

/// Why this node alone cannot have a round counted (`None`: it can, as the sole signer needed).
pub fn alone_refusal(committee: &Committee, me: Address) -> Option<String> {
    if committee.index_of(me).is_none() {
        return Some(format!("this node ({me}) is not a member of the feed's committee (version {}, {:?})", committee.version, committee.members));
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

/// The packed signatures of a committee of one: this node's signature of the round's report.
pub fn sign_alone(committee: &Committee, domain: &Eip712Domain, signer: &PrivateKeySigner, report: Report) -> Result<Bytes, String> {
    if let Some(why) = alone_refusal(committee, signer.address()) {
        return Err(why);
    }
    let signed = SignedReport::sign(report, domain, signer).map_err(|e| format!("signing the report: {e:#}"))?;
    Ok(pack(&[&signed]))
}

/// A committee-of-one round's signatures, read from the chain: the feed's committee now, the
/// oracle's domain, and `signer`'s signature when it alone is enough (else the reason why not).
pub async fn own_signatures<P: alloy::providers::Provider>(
    provider: &P,
    oracle: Address,
    feed: B256,
    model: B256,
    decision_minute_s: u64,
    binding: B256,
    signer: &PrivateKeySigner,
) -> anyhow::Result<Bytes> {
    let committee = Committee::read(provider, oracle, feed).await?;
    let domain = veriregime_chain::committee::oracle_domain(provider, oracle).await?;
    sign_alone(&committee, &domain, signer, committee.report(feed, model, decision_minute_s, binding)).map_err(anyhow::Error::msg)
}

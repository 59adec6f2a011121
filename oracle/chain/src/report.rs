//! The report a feed's committee signs for one round (EIP-712 typed data, checked on chain by
//! `SignalOracle.submit`): the domain binds chain and oracle, the struct binds feed, model,
//! decision minute, input binding and committee version, so a signature counts for exactly one
//! round of one committee.

use alloy::primitives::{Address, Signature, B256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::{eip712_domain, Eip712Domain, SolStruct};

alloy::sol! {
    /// What each committee member signs (the contract's `Report` type, field for field).
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Report {
        bytes32 feedId;
        bytes32 modelId;
        uint64 decisionMinute;
        bytes32 inputBinding;
        uint32 committeeVersion;
    }
}

/// The oracle's EIP-712 domain (OpenZeppelin `EIP712("VeriRegime SignalOracle", "1")`).
pub fn domain(chain_id: u64, oracle: Address) -> Eip712Domain {
    eip712_domain! {
        name: "VeriRegime SignalOracle",
        version: "1",
        chain_id: chain_id,
        verifying_contract: oracle,
    }
}

impl Report {
    /// The EIP-712 digest the members sign and the contract recovers from.
    pub fn digest(&self, domain: &Eip712Domain) -> B256 {
        self.eip712_signing_hash(domain)
    }

    /// Signs the report with `signer` (a 65-byte `r ‖ s ‖ v` signature, low `s`).
    pub fn sign(&self, domain: &Eip712Domain, signer: &PrivateKeySigner) -> anyhow::Result<Signature> {
        Ok(signer.sign_hash_sync(&self.digest(domain))?)
    }

    /// The address that signed `sig` over this report (some unrelated address when it signed
    /// another report).
    pub fn signer_of(&self, domain: &Eip712Domain, sig: &Signature) -> anyhow::Result<Address> {
        Ok(sig.recover_address_from_prehash(&self.digest(domain))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256};

    #[test]
    fn a_signature_counts_for_one_report_of_one_domain() {
        let signer = PrivateKeySigner::random();
        let oracle = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let d = domain(31337, oracle);
        let r = Report {
            feedId: b256!("0x1111111111111111111111111111111111111111111111111111111111111111"),
            modelId: b256!("0x2222222222222222222222222222222222222222222222222222222222222222"),
            decisionMinute: 1_700_000_040,
            inputBinding: b256!("0x3333333333333333333333333333333333333333333333333333333333333333"),
            committeeVersion: 1,
        };
        let sig = r.sign(&d, &signer).unwrap();
        assert_eq!(r.signer_of(&d, &sig).unwrap(), signer.address());
        let later = Report { decisionMinute: r.decisionMinute + 60, ..r.clone() };
        assert_ne!(later.signer_of(&d, &sig).unwrap(), signer.address(), "another minute");
        let rotated = Report { committeeVersion: 2, ..r.clone() };
        assert_ne!(rotated.signer_of(&d, &sig).unwrap(), signer.address(), "another committee");
        assert_ne!(r.signer_of(&domain(1, oracle), &sig).unwrap(), signer.address(), "another chain");
        assert_ne!(r.signer_of(&domain(31337, Address::ZERO), &sig).unwrap(), signer.address(), "another oracle");
    }
}

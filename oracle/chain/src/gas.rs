//! Where a transaction's gas goes, read back from the node's traces (`debug_traceTransaction`,
//! which anvil serves): the intrinsic part (21,000 and calldata), the verifier's call with the
//! precompiles it made, and the calling contract's own execution, split into storage, events and
//! the rest when the node records steps (anvil `--steps-tracing`).
//!
//! The demo prints this for its submissions and the benchmark records it for each bare
//! `verifyProof` transaction, so the gas goal's shortfall can be read part by part.

use alloy::primitives::{Address, B256};
use alloy::providers::ext::DebugApi;
use alloy::consensus::Transaction as _;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::trace::geth::{
    CallConfig, CallFrame, GethDebugTracingOptions, GethDefaultTracingOptions, GethTrace, StructLog,
};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Gas of one kind of precompile call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecompileGas {
    pub name: String,
    pub calls: u64,
    pub gas: u64,
}

/// The calling contract's own execution, by kind of opcode (from the node's step trace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerOps {
    /// SSTORE and SLOAD, cold-access surcharges included.
    pub storage: u64,
    /// LOG0..LOG4.
    pub events: u64,
    /// Everything else: checks, decoding, hashing, memory, and the CALL into the verifier itself
    /// (its account access and memory), but not the verifier's execution.
    pub other: u64,
}

/// One transaction's gas, part by part: `total == intrinsic + verifier + caller`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasBreakdown {
    /// Gas used by the transaction.
    pub total: u64,
    /// 21,000 plus calldata at 16 gas per non-zero and 4 per zero byte (EIP-2028).
    pub intrinsic: u64,
    pub calldata_bytes: usize,
    /// The verifier's execution, its precompile calls included (for a direct `verifyProof`
    /// transaction: all of the execution).
    pub verifier: u64,
    /// The precompiles the verifier called, in address order.
    pub precompiles: Vec<PrecompileGas>,
    /// The calling contract's own execution (0 for a direct `verifyProof` transaction).
    pub caller: u64,
    /// `caller` by kind of opcode, when the node recorded the transaction's steps.
    pub caller_ops: Option<CallerOps>,
}

impl GasBreakdown {
    /// The verifier's gas outside precompiles: its own code (transcript, gate evaluation, memory).
    pub fn verifier_code(&self) -> u64 {
        self.verifier.saturating_sub(self.precompiles.iter().map(|p| p.gas).sum())
    }

    /// The breakdown as aligned lines for a terminal, `caller_name` naming the calling contract.
    pub fn render(&self, caller_name: &str) -> String {
        let n = |v: u64| v.to_string();
        let mut s = String::new();
        let _ = writeln!(s, "  {:<44} {:>9}", format!("base + calldata ({} bytes)", self.calldata_bytes), n(self.intrinsic));
        let _ = writeln!(s, "  {:<44} {:>9}", "verifier", n(self.verifier));
        for p in &self.precompiles {
            let _ = writeln!(s, "    {:<42} {:>9}", format!("{} x {}", p.name, p.calls), n(p.gas));
        }
        let _ = writeln!(s, "    {:<42} {:>9}", "its own code", n(self.verifier_code()));
        if self.caller > 0 || self.caller_ops.is_some() {
            let _ = writeln!(s, "  {:<44} {:>9}", caller_name, n(self.caller));
            if let Some(o) = &self.caller_ops {
                let _ = writeln!(s, "    {:<42} {:>9}", "storage (SSTORE, SLOAD)", n(o.storage));
                let _ = writeln!(s, "    {:<42} {:>9}", "events", n(o.events));
                let _ = writeln!(s, "    {:<42} {:>9}", "the rest (checks, decoding, the call)", n(o.other));
            }
        }
        let _ = write!(s, "  {:<44} {:>9}", "total", n(self.total));
        s
    }
}

/// Name of the precompile at `a`, if it is one (Ethereum's 0x01..0x11).
fn precompile_name(a: Address) -> Option<&'static str> {
    const NAMES: [&str; 17] = [
        "ecrecover", "sha256", "ripemd160", "identity", "modexp", "ecAdd", "ecMul", "ecPairing", "blake2f",
        "pointEvaluation", "bls12G1Add", "bls12G1Msm", "bls12G2Add", "bls12G2Msm", "bls12Pairing", "bls12MapFp", "bls12MapFp2",
    ];
    let b = a.as_slice();
    if b[..19].iter().any(|&x| x != 0) || b[19] == 0 {
        return None;
    }
    NAMES.get(b[19] as usize - 1).copied()
}

/// Intrinsic gas of a transaction with `calldata` (EIP-2028 pricing).
pub fn intrinsic_gas(calldata: &[u8]) -> u64 {
    21_000 + calldata.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum::<u64>()
}

fn first_call_to(frame: &CallFrame, to: Address) -> Option<&CallFrame> {
    frame.calls.iter().find_map(|c| if c.to == Some(to) { Some(c) } else { first_call_to(c, to) })
}

fn count_precompiles(frame: &CallFrame, out: &mut std::collections::BTreeMap<u8, PrecompileGas>) {
    for c in &frame.calls {
        match c.to.and_then(|a| precompile_name(a).map(|n| (a.as_slice()[19], n))) {
            Some((k, name)) => {
                let e = out.entry(k).or_insert_with(|| PrecompileGas { name: name.into(), calls: 0, gas: 0 });
                e.calls += 1;
                e.gas += u64::try_from(c.gas_used).unwrap_or(u64::MAX);
            }
            None => count_precompiles(c, out),
        }
    }
}

/// The breakdown of a transaction that used `total` gas, sent with `calldata`, from its call trace
/// (`top`) and, when the node recorded them, its steps. The verifier is the frame whose callee is
/// `verifier`: the transaction itself, or the first call into it.
pub fn breakdown(total: u64, calldata: &[u8], top: &CallFrame, verifier: Address, steps: &[StructLog]) -> anyhow::Result<GasBreakdown> {
    let intrinsic = intrinsic_gas(calldata);
    let direct = top.to == Some(verifier);
    let frame = if direct { top } else { first_call_to(top, verifier).with_context(|| format!("the trace has no call into the verifier {verifier}"))? };
    let execution = total.checked_sub(intrinsic).with_context(|| format!("gas used {total} is below the intrinsic gas {intrinsic}"))?;
    let verifier_gas = if direct { execution } else { u64::try_from(frame.gas_used).context("verifier gas beyond u64")? };
    let caller = execution.checked_sub(verifier_gas).with_context(|| format!("the verifier's {verifier_gas} gas exceeds the execution's {execution}"))?;
    let mut by = std::collections::BTreeMap::new();
    count_precompiles(frame, &mut by);
    let caller_ops = if direct || steps.is_empty() { None } else { Some(caller_ops(steps, caller)?) };
    Ok(GasBreakdown { total, intrinsic, calldata_bytes: calldata.len(), verifier: verifier_gas, precompiles: by.into_values().collect(), caller, caller_ops })
}

/// The top-level contract's opcodes by kind. `caller` (its execution without the verifier's) is the
/// total; storage and events are summed from the depth-1 steps, the rest is what remains.
fn caller_ops(steps: &[StructLog], caller: u64) -> anyhow::Result<CallerOps> {
    let (mut storage, mut events) = (0u64, 0u64);
    for s in steps.iter().filter(|s| s.depth == 1) {
        match s.op.as_ref() {
            "SSTORE" | "SLOAD" => storage += s.gas_cost,
            op if op.starts_with("LOG") => events += s.gas_cost,
            _ => {}
        }
    }
    let other = caller
        .checked_sub(storage + events)
        .with_context(|| format!("the step trace's storage and event gas ({}) exceed the caller's {caller}", storage + events))?;
    Ok(CallerOps { storage, events, other })
}

/// Traces a mined transaction on `provider` and breaks its gas down around its call into `verifier`.
pub async fn trace(provider: &DynProvider, tx: B256, verifier: Address) -> anyhow::Result<GasBreakdown> {
    let receipt = provider.get_transaction_receipt(tx).await?.with_context(|| format!("no receipt for {tx}"))?;
    let sent = provider.get_transaction_by_hash(tx).await?.with_context(|| format!("the node does not know {tx}"))?;
    let calldata = sent.input().clone();
    let calls = provider
        .debug_trace_transaction(tx, GethDebugTracingOptions::call_tracer(CallConfig::default()))
        .await
        .with_context(|| format!("the node cannot trace {tx} (debug_traceTransaction)"))?;
    let GethTrace::CallTracer(top) = calls else { anyhow::bail!("the node answered the call tracer of {tx} with another trace") };
    // Steps only split a calling contract's part; a direct verifyProof has none.
    let steps = if top.to == Some(verifier) {
        Vec::new()
    } else {
        let opts = GethDefaultTracingOptions::default().disable_stack().disable_storage().disable_memory();
        match provider.debug_trace_transaction(tx, GethDebugTracingOptions { config: opts, ..Default::default() }).await {
            Ok(GethTrace::Default(f)) => f.struct_logs,
            // A node that records no steps: the caller's part stays whole.
            _ => Vec::new(),
        }
    };
    breakdown(receipt.gas_used, &calldata, &top, verifier, &steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, U256};

    fn frame(to: Address, gas_used: u64, calls: Vec<CallFrame>) -> CallFrame {
        CallFrame { to: Some(to), gas_used: U256::from(gas_used), calls, ..Default::default() }
    }

    fn step(depth: u64, op: &'static str, gas_cost: u64) -> StructLog {
        StructLog { pc: 0, op: op.into(), gas: 0, gas_cost, depth, error: None, stack: None, return_data: None, memory: None, memory_size: None, storage: None, refund_counter: None }
    }

    const ORACLE: Address = address!("00000000000000000000000000000000000000aa");
    const VERIFIER: Address = address!("00000000000000000000000000000000000000bb");
    const ECMUL: Address = address!("0000000000000000000000000000000000000007");
    const PAIRING: Address = address!("0000000000000000000000000000000000000008");

    #[test]
    fn a_submission_splits_into_intrinsic_verifier_and_caller() {
        let calldata = [0u8, 1, 2, 0, 5]; // 21,000 + 2 x 4 + 3 x 16 = 21,056
        let verifier = frame(VERIFIER, 300_000, vec![frame(ECMUL, 6_000, vec![]), frame(ECMUL, 6_000, vec![]), frame(PAIRING, 113_000, vec![])]);
        let top = frame(ORACLE, 0, vec![verifier]);
        let steps = [step(1, "SSTORE", 22_100), step(1, "SLOAD", 2_100), step(1, "LOG4", 3_000), step(2, "SSTORE", 99_999), step(1, "ADD", 3)];
        let b = breakdown(400_000, &calldata, &top, VERIFIER, &steps).unwrap();
        assert_eq!(b.intrinsic, 21_056);
        assert_eq!(b.verifier, 300_000);
        assert_eq!(b.caller, 400_000 - 21_056 - 300_000);
        assert_eq!(b.total, b.intrinsic + b.verifier + b.caller);
        assert_eq!(
            b.precompiles,
            vec![PrecompileGas { name: "ecMul".into(), calls: 2, gas: 12_000 }, PrecompileGas { name: "ecPairing".into(), calls: 1, gas: 113_000 }]
        );
        assert_eq!(b.verifier_code(), 300_000 - 125_000);
        // The verifier's own SSTORE (depth 2) is not the oracle's.
        assert_eq!(b.caller_ops, Some(CallerOps { storage: 24_200, events: 3_000, other: b.caller - 27_200 }));
        let text = b.render("oracle");
        assert!(text.contains("ecMul x 2") && text.contains("storage (SSTORE, SLOAD)") && text.contains("400000"), "{text}");
    }

    #[test]
    fn a_direct_verify_call_is_all_verifier() {
        let top = frame(VERIFIER, 0, vec![frame(ECMUL, 6_000, vec![])]);
        let b = breakdown(50_000, &[1], &top, VERIFIER, &[]).unwrap();
        assert_eq!((b.intrinsic, b.verifier, b.caller, &b.caller_ops), (21_016, 28_984, 0, &None));
        assert!(!b.render("oracle").contains("oracle"));
    }

    #[test]
    fn inconsistent_traces_are_refused_by_name() {
        let top = frame(ORACLE, 0, vec![frame(address!("00000000000000000000000000000000000000cc"), 10, vec![])]);
        let e = breakdown(100_000, &[], &top, VERIFIER, &[]).unwrap_err().to_string();
        assert!(e.contains("no call into the verifier"), "{e}");
        let top = frame(ORACLE, 0, vec![frame(VERIFIER, 90_000, vec![])]);
        let e = breakdown(100_000, &[], &top, VERIFIER, &[]).unwrap_err().to_string();
        assert!(e.contains("exceeds the execution"), "{e}");
        let e = breakdown(20_000, &[], &top, VERIFIER, &[]).unwrap_err().to_string();
        assert!(e.contains("below the intrinsic gas"), "{e}");
    }
}

//! The demo: anvil, deployment, several proven rounds on past decision minutes, the vault acting on
//! them, and where each submission's gas went.

use veriregime_chain::gas::GasBreakdown;
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use veriregime_chain::committee::{pack, Committee, SignedReport};
use veriregime_chain::{deploy_stack, submit, Client, Deployment, IDemoToken, IDemoVault, IPairTwap, StackConfig, Target};
use veriregime_zk::signaler::expected_binding;
use veriregime_core::data::{fmt_minute, synth_candles, Archive, Candle, Series, SynthConfig};
use veriregime_core::features::{CLASS_NAMES, LOOKBACK};
use veriregime_core::progress::{secs, spinner};
use veriregime_zk::prover::{npm_tool, project_root, Ezkl};
use veriregime_zk::Signaler;
use alloy::node_bindings::Anvil;
use alloy::primitives::U256;
use alloy::providers::Provider;
use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// What the demo runs on.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Archive root with real candles; `None`: the embedded synthetic fixture.
    pub data: Option<PathBuf>,
    pub symbol: String,
    pub rounds: usize,
    /// Minutes between decision minutes.
    pub every: usize,
    pub model: PathBuf,
    pub circuit: PathBuf,
    /// Where the deployment's addresses are written.
    pub deployments: PathBuf,
    /// The vault's trading rule (`models/policy.json` for the shipped student).
    pub policy: veriregime_core::policy::PolicySpec,
}

/// What the demo did: its data, every round, the deployment, each submission's gas, and the
/// deployer's exit from the vault at the end.
#[derive(Debug, Serialize)]
pub struct DemoReport {
    pub data: String,
    pub rounds: Vec<RoundOut>,
    pub deployment: Deployment,
    pub gas: Vec<u64>,
    pub exit_in_kind: ExitOut,
}

/// The deployer redeems all its vault shares in kind after the last round, whatever the vault
/// holds then: the exit that never waits for a signal.
#[derive(Debug, Serialize)]
pub struct ExitOut {
    pub shares: String,
    pub stable: f64,
    pub risk: f64,
    /// What was received, valued at the pair's average price, in dUSD.
    pub value: f64,
    pub gas: u64,
}

/// One demo round.
#[derive(Debug, Serialize)]
pub struct RoundOut {
    pub decision_minute: String,
    pub signal: &'static str,
    pub logits: [f32; 3],
    pub proof_outputs: [f64; 3],
    pub tx: String,
    pub gas: u64,
    /// The same gas part by part (base and calldata, verifier and its precompiles, the oracle's own).
    pub gas_breakdown: GasBreakdown,
    pub calldata_bytes: usize,
    pub round_id: u64,
    /// The committee members whose signatures the oracle accepted for this round.
    pub signers: Vec<Address>,
    /// The member that sent the round.
    pub transmitter: Address,
    pub infer_s: f64,
    pub prove_s: f64,
    pub submit_s: f64,
    pub verified: bool,
    pub vault_action: String,
    pub vault_stable: f64,
    pub vault_risk: f64,
}

impl DemoOptions {
    /// The candles the rounds read, and where they come from.
    fn candles(&self) -> anyhow::Result<(Vec<Candle>, String)> {
        match &self.data {
            None => {
                let c = synth_candles(&SynthConfig::default());
                Ok((c, "embedded synthetic fixture (seeded random walk, NOT market data)".into()))
            }
            Some(root) => {
                let archive = Archive::new(root, &self.symbol);
                let (_, last) = archive.available_days()?.with_context(|| format!("no {} archives under {}", self.symbol, root.display()))?;
                let end = veriregime_core::data::parse_day(&last.to_string())? + 86_400_000;
                let s = archive.load(end - 2 * 86_400_000, end)?;
                Ok((s.candles, format!("real Binance {} candles from {} (last day {last})", self.symbol, root.display())))
            }
        }
    }

    /// Runs the demo: anvil (stopped when this returns), deployment, `rounds` proven rounds, the
    /// vault acting on each; progress and a table on stderr.
    pub async fn run(&self) -> anyhow::Result<DemoReport> {
        let root = project_root();
        let (candles, source) = self.candles()?;
        let series = Series::from_candles(candles, &source)?;
        // Decision minutes: the last `rounds` minutes spaced by `every`, each with LOOKBACK
        // contiguous candles before it, in the last contiguous segment.
        let seg = series.segments().pop().context("no candles")?;
        let need = LOOKBACK + (self.rounds.max(1) - 1) * self.every;
        anyhow::ensure!(seg.len() >= need, "the last contiguous run has {} candles, {} rounds every {} min need {need}", seg.len(), self.rounds, self.every);
        let ends: Vec<usize> = (0..self.rounds).rev().map(|k| seg.end - 1 - k * self.every).collect();
        let c = &series.candles;

        let signaler = Signaler::load(&self.model, &self.circuit, Ezkl::new(&root))?;
        eprintln!("data: {source}");
        eprintln!("model: {} ({} parameters), circuit logrows {}", self.model.display(), signaler.card.param_count, signaler.manifest.logrows);

        // Chain time starts just after the first decision candle closed.
        let first_s = c[ends[0]].open_time / 1000;
        let anvil = Anvil::at(npm_tool(&root, "anvil"))
            .args(["--timestamp".to_string(), (first_s - 3600).to_string()])
            // Records every step, so that each submission's gas can be split by opcode.
            .arg("--steps-tracing")
            .try_spawn()
            .context("cannot start anvil (run `make bootstrap`)")?;
        let key = hex::encode(anvil.first_key().to_bytes());
        let client = Client::connect(anvil.endpoint_url().as_str(), &key).await?;
        // A committee of three operators (anvil's next three accounts) at 2 of 3; governance is a
        // timelock the fifth account proposes through and the sixth can cancel in; the deployer
        // keeps no role: it is the vault's first depositor and its keeper (anyone may rebalance).
        let members: Vec<PrivateKeySigner> = anvil.keys()[1..=3].iter().map(|k| PrivateKeySigner::from(k.clone())).collect();
        let (governor, guardian) = (anvil.addresses()[4], anvil.addresses()[5]);
        let mut cfg = StackConfig::local(
            &self.symbol,
            signaler.model_id,
            signaler.manifest.binding,
            signaler.manifest.output_scale as u8,
            c[ends[0]].close.round() as u64,
        );
        cfg.committee = members.iter().map(|m| m.address()).collect();
        cfg.threshold = 2;
        cfg.vault_policy = self.policy;
        cfg.governor = Some(governor);
        cfg.guardian = Some(guardian);
        let t = Instant::now();
        let dep = deploy_stack(&client, &root, &cfg).await?;
        dep.save(&self.deployments)?;
        eprintln!("deployed in {:.1} s: oracle {} vault {} (addresses in {})", secs(t), dep.oracle, dep.vault, self.deployments.display());
        eprintln!(
            "governance: timelock {} ({} h delay; governor {}, guardian {}) is the oracle's admin and the vault's owner; the vault trades on Uniswap v2 pair {} at its {}-minute average",
            dep.timelock,
            cfg.timelock_delay / 3600,
            short(&governor.to_string()),
            short(&guardian.to_string()),
            dep.pair,
            cfg.twap_window / 60
        );
        eprintln!(
            "vault rule: act on a BUY or SELL leading the other logits by >= {} in {} round(s) in a row at consecutive minutes",
            self.policy.margin, self.policy.persist
        );

        let vault = IDemoVault::new(dep.vault, &client.provider);
        let balances = || async {
            let (s, r) = holdings(&client, &dep, dep.vault).await?;
            anyhow::Ok((to_f64(s), to_f64(r)))
        };
        let committee = Committee::read(&client.provider, dep.oracle, dep.feed_id).await?;
        // Each member transmits with its own account.
        let mut member_clients = Vec::new();
        for m in &members {
            member_clients.push(Client::connect(anvil.endpoint_url().as_str(), &hex::encode(m.to_bytes())).await?);
        }
        let domain = veriregime_chain::committee::oracle_domain(&client.provider, dep.oracle).await?;
        eprintln!("committee (version {}): {} of {:?}", committee.version, committee.threshold, committee.members);
        let work = root.join("target/demo/rounds");
        let mut out = Vec::new();
        for (k, &end) in ends.iter().enumerate() {
            let minute = c[end].open_time;
            let t = Instant::now();
            let inf = signaler.infer(&c[..=end])?;
            let infer_s = secs(t);
            let t = Instant::now();
            let pb = spinner(format!("round {}/{}: proving {} UTC with EZKL", k + 1, ends.len(), fmt_minute(minute)));
            let proven = signaler.prove(&inf, &work.join(format!("round{k}"))).await;
            pb.finish_and_clear();
            let proven = proven?;
            let prove_s = secs(t);
            // Each member computes the window's input binding from its own candles (here the
            // same ones), without a proof, and signs the round's report; the minute's scheduled
            // transmitter sends its proof with its own and the next member's signatures.
            let minute_s = (minute / 1000) as u64;
            let order = committee.transmit_order(dep.feed_id, minute_s);
            let mut signed = Vec::new();
            for who in order.iter().take(committee.threshold) {
                let member = members.iter().find(|m| m.address() == *who).context("a committee member")?;
                let own = signaler.infer(&c[..=end])?;
                let binding = expected_binding(&signaler, &own.input, &work.join(format!("round{k}-{who}"))).await?;
                signed.push(SignedReport::sign(committee.report(dep.feed_id, signaler.model_id, minute_s, binding), &domain, member)?);
            }
            anyhow::ensure!(signed.iter().all(|s| s.report.inputBinding == proven.binding), "a member's binding is not the transmitter's proof's");
            let tclient = member_clients.iter().find(|c| c.from == order[0]).context("the transmitter")?;
            // A keeper records the pair's price one window before the round (as any keeper does
            // between rounds), so that the vault finds a fresh average however far apart rounds are.
            let poke = minute / 1000 + 62 - cfg.twap_window as i64;
            if poke > chain_time(&client).await? {
                set_chain_time(&client, poke).await?;
            }
            IPairTwap::new(dep.twap, &client.provider).update().send().await?.get_receipt().await?;
            // The candle of `minute` closes at minute + 60 s; submit a few seconds after.
            set_chain_time(&client, minute / 1000 + 62).await?;
            let t = Instant::now();
            let sub = submit(tclient, Target::of(&dep, signaler.model_id), minute, &proven, &committee.quorum(pack(&signed.iter().collect::<Vec<_>>()))).await?;
            let on_chain = veriregime_chain::ISignalOracle::new(dep.oracle, &client.provider).getRoundSigners(dep.feed_id, U256::from(sub.round_id)).call().await?;
            let submit_s = secs(t);
            let gas_breakdown = veriregime_chain::gas::trace(&client.provider, sub.tx, dep.verifier).await?;
            let late = k + 1 == ends.len() && ends.len() >= 3;
            let action = if late {
                // The last round's keeper comes ten minutes late: the vault refuses a signal no longer current.
                set_chain_time(&client, minute / 1000 + 60 + 600).await?;
                match vault.rebalance().call().await {
                    Ok(a) => format!("{a:?} (unexpected: stale signal accepted)"),
                    Err(e) => match e.as_decoded_interface_error::<IDemoVault::IDemoVaultErrors>() {
                        Some(IDemoVault::IDemoVaultErrors::DemoVaultStaleSignal(x)) => {
                            format!("refused 10 min late: DemoVaultStaleSignal(age {} s > maxAge {} s)", x.age, x.maxAge)
                        }
                        Some(IDemoVault::IDemoVaultErrors::SignalOracleNotCurrent(x)) => {
                            let age = x.validUntil.to::<u64>().saturating_sub(minute as u64 / 1000 + 60);
                            format!("refused 10 min late: SignalOracleNotCurrent (no round since, and the feed's heartbeat and submission window end {age} s after the signal became valid)")
                        }
                        Some(other) => format!("refused: {other:?}"),
                        None => format!("refused: {e}"),
                    },
                }
            } else {
                let a = vault.rebalance().call().await.map_err(|e| anyhow::anyhow!("rebalance preflight: {}", veriregime_chain::describe_revert(&e)))?;
                vault.rebalance().send().await?.get_receipt().await?;
                if matches!(a, IDemoVault::Action::None) && inf.signal != 1 {
                    format!(
                        "None (not a confirmed {}: the rule needs a lead >= {} in {} rounds in a row)",
                        CLASS_NAMES[inf.signal as usize],
                        self.policy.margin,
                        self.policy.persist
                    )
                } else {
                    format!("{a:?}")
                }
            };
            let (s, r) = balances().await?;
            let round = RoundOut {
                decision_minute: fmt_minute(minute),
                signal: CLASS_NAMES[inf.signal as usize],
                logits: inf.logits,
                proof_outputs: proven.outputs,
                tx: sub.tx.to_string(),
                gas: sub.gas,
                gas_breakdown,
                calldata_bytes: sub.calldata_bytes,
                round_id: sub.round_id,
                signers: on_chain.signerAddresses,
                transmitter: order[0],
                infer_s,
                prove_s,
                submit_s,
                verified: true,
                vault_action: action,
                vault_stable: s,
                vault_risk: r,
            };
            eprintln!(
                "round {}: {} UTC -> {} (proof {:.1} s, gas {}, tx {}; signed by {}, sent by {}); vault: {} -> {:.2} dUSD + {:.4} dBTC",
                round.round_id,
                round.decision_minute,
                round.signal,
                prove_s,
                sub.gas,
                short(&round.tx),
                round.signers.iter().map(|a| short(&a.to_string())).collect::<Vec<_>>().join(" + "),
                short(&round.transmitter.to_string()),
                round.vault_action,
                s,
                r
            );
            out.push(round);
        }
        // The deployer leaves with all its shares, in kind, whatever the vault holds now.
        let shares = vault.balanceOf(client.from).call().await?;
        let (s0, r0) = holdings(&client, &dep, client.from).await?;
        let receipt = vault.redeemInKind(shares, client.from, client.from).send().await?.get_receipt().await?;
        anyhow::ensure!(receipt.status(), "the in-kind exit reverted (tx {})", receipt.transaction_hash);
        let (s1, r1) = holdings(&client, &dep, client.from).await?;
        let (price, _) = IPairTwap::new(dep.twap, &client.provider).read().call().await.map(|r| (r.priceWad, r.span))?;
        let (stable, risk) = (to_f64(s1 - s0), to_f64(r1 - r0));
        let exit_in_kind = ExitOut { shares: shares.to_string(), stable, risk, value: stable + risk * to_f64(price), gas: receipt.gas_used };

        let gas: Vec<u64> = out.iter().map(|r| r.gas).collect();
        eprintln!("\n{:<18} {:<6} {:>9} {:>10} {:>8}  vault", "decision (UTC)", "signal", "prove s", "gas", "verified");
        for r in &out {
            eprintln!("{:<18} {:<6} {:>9.2} {:>10} {:>8}  {}", r.decision_minute, r.signal, r.prove_s, r.gas, r.verified, r.vault_action);
        }
        if let Some(last) = out.last() {
            eprintln!("\nwhere round {}'s gas went (the node's traces of its submit transaction):\n{}", last.round_id, last.gas_breakdown.render("oracle's own execution"));
        }
        eprintln!(
            "exit in kind: the deployer redeemed all its shares for {:.2} dUSD + {:.6} dBTC ({:.2} dUSD at the average price; gas {})",
            exit_in_kind.stable, exit_in_kind.risk, exit_in_kind.value, exit_in_kind.gas
        );
        eprintln!("{} verified rounds on anvil; data: {source}", out.len());
        drop(anvil);
        Ok(DemoReport { data: source, rounds: out, deployment: dep, gas, exit_in_kind })
    }
}

/// What `who` holds of the demo's stable and risk tokens.
async fn holdings(client: &Client, dep: &Deployment, who: Address) -> anyhow::Result<(U256, U256)> {
    let s = IDemoToken::new(dep.stable, &client.provider).balanceOf(who).call().await?;
    let r = IDemoToken::new(dep.risk, &client.provider).balanceOf(who).call().await?;
    Ok((s, r))
}

/// The latest block's timestamp.
async fn chain_time(client: &Client) -> anyhow::Result<i64> {
    let block = client.provider.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest).await?.context("no latest block")?;
    Ok(block.header.timestamp as i64)
}

/// Moves the chain's clock: mines an empty block stamped `ts`, so calls and the next
/// transactions see that time.
async fn set_chain_time(client: &Client, ts: i64) -> anyhow::Result<()> {
    let _: serde_json::Value = client.provider.raw_request("evm_setNextBlockTimestamp".into(), (ts,)).await.context("evm_setNextBlockTimestamp")?;
    let _: serde_json::Value = client.provider.raw_request("evm_mine".into(), ()).await.context("evm_mine")?;
    Ok(())
}

fn to_f64(x: U256) -> f64 {
    let s: f64 = x.to_string().parse().unwrap_or(f64::NAN);
    s / 1e18
}

fn short(s: &str) -> String {
    if s.len() > 12 {
        format!("{}…", &s[..10])
    } else {
        s.into()
    }
}


//! The oracle's administration as an operator does it: the oracle's admin is the deployment's
//! TimelockController (OpenZeppelin's), so every change (granting or revoking the submitter role,
//! a feed's committee) is first *scheduled* by the governor (the timelock's proposer) and
//! *executed* by anyone once the timelock's delay has passed. [`schedule`] checks a change by
//! calling it as the timelock would (a change that would revert is refused before it is
//! scheduled), [`execute`] finds a scheduled operation by its id in the timelock's own events,
//! and [`show`] reads the roles, the committee and the operations still pending.

use crate::{describe_revert, Client, Deployment, ISignalOracle, ITimelockController};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall, SolEvent};
use anyhow::{anyhow, Context};
use std::collections::BTreeMap;

/// A change of the oracle's administration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    GrantSubmitter(Address),
    RevokeSubmitter(Address),
    /// The feed's new committee: members (each signs reports) and the signatures a round needs.
    /// Members that lack the submitter role are granted it in the same operation (members
    /// transmit); members of the old committee keep theirs until revoked.
    SetCommittee {
        feed: B256,
        members: Vec<Address>,
        threshold: u8,
    },
    /// The feed's heartbeat, seconds ([`veriregime_core::publish`]).
    SetHeartbeat {
        feed: B256,
        heartbeat: u32,
    },
}

/// One call of a timelock operation, decoded for people where it is the oracle's.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Call {
    pub target: Address,
    pub value: U256,
    pub data: Bytes,
    /// What the call does, e.g. `grantRole(SUBMITTER_ROLE, 0x..)`.
    pub what: String,
}

/// A scheduled operation of the timelock.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Operation {
    pub id: B256,
    pub calls: Vec<Call>,
    pub predecessor: B256,
    pub salt: B256,
    /// Unix seconds from which it may be executed; 0 once executed or cancelled.
    pub ready_at: u64,
    /// pending (delay not over), ready, done or cancelled.
    pub state: &'static str,
    /// Whether it was scheduled as a batch (`scheduleBatch`, executed with `executeBatch`).
    pub batch: bool,
}

/// The oracle's roles and committee, and the timelock's pending operations.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdminView {
    pub oracle: Address,
    /// The oracle's admin (the timelock in a deployment from `veriregime deploy`).
    pub admin: Address,
    pub timelock: Address,
    pub timelock_delay_s: u64,
    /// Whether the deployments file's governor still holds the timelock's proposer role.
    pub governor: Address,
    pub governor_is_proposer: bool,
    /// Accounts holding the submitter role now (from the oracle's role events).
    pub submitters: Vec<Address>,
    pub feed: B256,
    pub committee: Vec<Address>,
    pub threshold: u8,
    pub committee_version: u32,
    /// The feed's heartbeat, seconds.
    pub heartbeat_s: u32,
    /// Operations neither executed nor cancelled.
    pub pending: Vec<Operation>,
}

/// The calls a change makes to the oracle, checked against the chain where it matters (the
/// committee members' roles).
async fn calls(provider: &DynProvider, dep: &Deployment, change: &Change) -> anyhow::Result<Vec<(Address, Vec<u8>)>> {
    let o = ISignalOracle::new(dep.oracle, provider);
    let role = o.SUBMITTER_ROLE().call().await.context("reading the oracle's SUBMITTER_ROLE")?;
    Ok(match change {
        Change::GrantSubmitter(a) => {
            anyhow::ensure!(!o.hasRole(role, *a).call().await?, "{a} holds the submitter role already");
            vec![(dep.oracle, ISignalOracle::grantRoleCall { role, account: *a }.abi_encode())]
        }
        Change::RevokeSubmitter(a) => {
            anyhow::ensure!(o.hasRole(role, *a).call().await?, "{a} does not hold the submitter role");
            vec![(dep.oracle, ISignalOracle::revokeRoleCall { role, account: *a }.abi_encode())]
        }
        Change::SetCommittee { feed, members, threshold } => {
            let mut out = vec![(dep.oracle, ISignalOracle::setCommitteeCall { feedId: *feed, members: members.clone(), threshold: *threshold }.abi_encode())];
            let mut seen = std::collections::BTreeSet::new();
            for m in members {
                if seen.insert(*m) && *m != Address::ZERO && !o.hasRole(role, *m).call().await? {
                    out.push((dep.oracle, ISignalOracle::grantRoleCall { role, account: *m }.abi_encode()));
                }
            }
            out
        }
        Change::SetHeartbeat { feed, heartbeat } => {
            veriregime_core::publish::PublishRule::new(*heartbeat as u64)?;
            vec![(dep.oracle, ISignalOracle::setFeedHeartbeatCall { feedId: *feed, heartbeat: *heartbeat }.abi_encode())]
        }
    })
}

/// What an oracle call does, in words; other calls by their selector.
pub fn describe_call(dep: &Deployment, target: Address, data: &[u8], submitter_role: B256) -> String {
    let role_name = |r: B256| {
        if r == submitter_role {
            "SUBMITTER_ROLE".to_string()
        } else if r == B256::ZERO {
            "DEFAULT_ADMIN_ROLE".to_string()
        } else {
            format!("{r}")
        }
    };
    if target == dep.oracle {
        if let Ok(c) = ISignalOracle::grantRoleCall::abi_decode(data) {
            return format!("oracle.grantRole({}, {})", role_name(c.role), c.account);
        }
        if let Ok(c) = ISignalOracle::revokeRoleCall::abi_decode(data) {
            return format!("oracle.revokeRole({}, {})", role_name(c.role), c.account);
        }
        if let Ok(c) = ISignalOracle::setCommitteeCall::abi_decode(data) {
            let feed = if c.feedId == dep.feed_id { dep.symbol.clone() } else { format!("{}", c.feedId) };
            let members = c.members.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ");
            return format!("oracle.setCommittee({feed}, [{members}], {} of {})", c.threshold, c.members.len());
        }
        if let Ok(c) = ISignalOracle::setFeedHeartbeatCall::abi_decode(data) {
            let feed = if c.feedId == dep.feed_id { dep.symbol.clone() } else { format!("{}", c.feedId) };
            return format!("oracle.setFeedHeartbeat({feed}, {} s)", c.heartbeat);
        }
    }
    let selector = data.get(..4).map(hex::encode).unwrap_or_default();
    format!("call 0x{selector} on {target}")
}

/// Schedules `change` through the timelock, signed by the governor; returns the operation (ready
/// after the timelock's delay). Refused before anything is sent when the signer is not the
/// timelock's proposer or when the change would revert if executed now.
pub async fn schedule(client: &Client, dep: &Deployment, change: &Change) -> anyhow::Result<Operation> {
    same_chain(&client.provider, dep).await?;
    let tl = ITimelockController::new(dep.timelock, &client.provider);
    let o = ISignalOracle::new(dep.oracle, &client.provider);
    let admin = o.defaultAdmin().call().await.context("reading the oracle's admin")?;
    anyhow::ensure!(admin == dep.timelock, "the oracle's admin is {admin}, not the deployments file's timelock {}: this deployment is not governed by it", dep.timelock);
    let proposer = tl.PROPOSER_ROLE().call().await?;
    anyhow::ensure!(
        tl.hasRole(proposer, client.from).call().await?,
        "{} cannot schedule: it is not the timelock's proposer (the deployment's governor is {}); sign with the governor's key",
        client.from,
        dep.governor
    );
    let calls = calls(&client.provider, dep, change).await?;
    let role = o.SUBMITTER_ROLE().call().await?;
    // Called as the timelock: what would revert at execution is refused now, with its reason.
    for (target, data) in &calls {
        let tx = alloy::rpc::types::TransactionRequest::default().from(dep.timelock).to(*target).input(Bytes::from(data.clone()).into());
        if let Err(e) = client.provider.call(tx).await {
            let e = alloy::contract::Error::from(e);
            return Err(anyhow!("{} would revert: {}", describe_call(dep, *target, data, role), describe_revert(&e)));
        }
    }
    let delay = tl.getMinDelay().call().await?;
    let salt = B256::from(rand::random::<[u8; 32]>());
    let (targets, values, payloads): (Vec<Address>, Vec<U256>, Vec<Bytes>) =
        (calls.iter().map(|c| c.0).collect(), vec![U256::ZERO; calls.len()], calls.iter().map(|c| Bytes::from(c.1.clone())).collect());
    let send = |what: &'static str| move |e: alloy::contract::Error| anyhow!("timelock {what}: {}", describe_revert(&e));
    let batch = calls.len() > 1;
    let id = if batch {
        tl.hashOperationBatch(targets.clone(), values.clone(), payloads.clone(), B256::ZERO, salt).call().await?
    } else {
        tl.hashOperation(targets[0], values[0], payloads[0].clone(), B256::ZERO, salt).call().await?
    };
    let receipt = if batch {
        tl.scheduleBatch(targets, values, payloads, B256::ZERO, salt, delay).send().await.map_err(send("scheduleBatch"))?.get_receipt().await?
    } else {
        tl.schedule(targets[0], values[0], payloads[0].clone(), B256::ZERO, salt, delay).send().await.map_err(send("schedule"))?.get_receipt().await?
    };
    anyhow::ensure!(receipt.status(), "scheduling reverted (tx {})", receipt.transaction_hash);
    operation(&client.provider, dep, id, receipt.block_number.unwrap_or(0)).await
}

/// Executes a scheduled operation whose delay has passed (anyone may: the timelock's executor
/// role is open). Says when it will be ready when it is not yet, and that it ran when it did.
pub async fn execute(client: &Client, dep: &Deployment, id: B256, from_block: u64) -> anyhow::Result<Operation> {
    same_chain(&client.provider, dep).await?;
    let op = operation(&client.provider, dep, id, from_block).await?;
    let now = chain_time(&client.provider).await?;
    match op.state {
        "done" => anyhow::bail!("operation {id} was executed already"),
        "cancelled" => anyhow::bail!("operation {id} was cancelled"),
        _ if op.ready_at > now => anyhow::bail!(
            "operation {id} is not ready: the timelock's delay ends at {} (in {} s by the chain's clock); execute it then",
            fmt_time(op.ready_at),
            op.ready_at - now
        ),
        _ => {}
    }
    let tl = ITimelockController::new(dep.timelock, &client.provider);
    let send = |e: alloy::contract::Error| anyhow!("timelock execute: {}", describe_revert(&e));
    let receipt = if op.batch {
        let targets = op.calls.iter().map(|c| c.target).collect();
        let values = op.calls.iter().map(|c| c.value).collect();
        let payloads = op.calls.iter().map(|c| c.data.clone()).collect();
        tl.executeBatch(targets, values, payloads, op.predecessor, op.salt).send().await.map_err(send)?.get_receipt().await?
    } else {
        let c = &op.calls[0];
        tl.execute(c.target, c.value, c.data.clone(), op.predecessor, op.salt).send().await.map_err(send)?.get_receipt().await?
    };
    anyhow::ensure!(receipt.status(), "execution reverted (tx {})", receipt.transaction_hash);
    operation(&client.provider, dep, id, from_block).await
}

/// The operation `id` as the timelock's events record it.
pub async fn operation(provider: &DynProvider, dep: &Deployment, id: B256, from_block: u64) -> anyhow::Result<Operation> {
    let ops = operations(provider, dep, Some(id), from_block).await?;
    ops.into_iter().next().ok_or_else(|| anyhow!("the timelock {} has no operation {id} (scheduled after block {from_block})", dep.timelock))
}

/// Every operation scheduled on the deployment's timelock since `from_block` (one id, or all).
pub async fn operations(provider: &DynProvider, dep: &Deployment, id: Option<B256>, from_block: u64) -> anyhow::Result<Vec<Operation>> {
    let tl = ITimelockController::new(dep.timelock, provider);
    let role = ISignalOracle::new(dep.oracle, provider).SUBMITTER_ROLE().call().await?;
    let filter = |sig: B256| {
        let f = Filter::new().address(dep.timelock).event_signature(sig).from_block(from_block);
        match id {
            Some(id) => f.topic1(id),
            None => f,
        }
    };
    let logs = provider.get_logs(&filter(ITimelockController::CallScheduled::SIGNATURE_HASH)).await.context("reading the timelock's CallScheduled events")?;
    let salts = provider.get_logs(&filter(ITimelockController::CallSalt::SIGNATURE_HASH)).await.context("reading the timelock's CallSalt events")?;
    let mut salt_of = BTreeMap::new();
    for l in salts {
        let e = l.log_decode::<ITimelockController::CallSalt>()?.inner.data;
        salt_of.insert(e.id, e.salt);
    }
    let mut by_id: BTreeMap<B256, (u64, Vec<(U256, ITimelockController::CallScheduled)>)> = BTreeMap::new();
    for l in logs {
        let order = l.block_number.unwrap_or(0);
        let e = l.log_decode::<ITimelockController::CallScheduled>()?.inner.data;
        by_id.entry(e.id).or_insert((order, Vec::new())).1.push((e.index, e));
    }
    let now = chain_time(provider).await?;
    let mut out = Vec::new();
    for (id, (order, mut calls)) in by_id {
        calls.sort_by_key(|c| c.0);
        let salt = salt_of.get(&id).copied().unwrap_or(B256::ZERO);
        let predecessor = calls[0].1.predecessor;
        let ts = tl.getTimestamp(id).call().await?;
        let state = if ts == U256::ZERO {
            "cancelled"
        } else if ts == U256::from(1u64) {
            "done"
        } else if ts > U256::from(now) {
            "pending"
        } else {
            "ready"
        };
        let calls: Vec<Call> = calls
            .into_iter()
            .map(|(_, c)| Call { what: describe_call(dep, c.target, &c.data, role), target: c.target, value: c.value, data: c.data })
            .collect();
        // A batch of one and a single call hash differently: the id tells which it was.
        let single = tl.hashOperation(calls[0].target, calls[0].value, calls[0].data.clone(), predecessor, salt).call().await? == id;
        let ready_at = if ts > U256::from(1u64) { ts.try_into().unwrap_or(u64::MAX) } else { 0 };
        out.push((order, Operation { id, batch: !(single && calls.len() == 1), calls, predecessor, salt, ready_at, state }));
    }
    out.sort_by_key(|o| o.0);
    Ok(out.into_iter().map(|o| o.1).collect())
}

/// The roles, the committee of the deployment's feed and the pending operations.
pub async fn show(provider: &DynProvider, dep: &Deployment, from_block: u64) -> anyhow::Result<AdminView> {
    same_chain(provider, dep).await?;
    let o = ISignalOracle::new(dep.oracle, provider);
    let tl = ITimelockController::new(dep.timelock, provider);
    let role = o.SUBMITTER_ROLE().call().await.with_context(|| format!("no oracle answers at {} (is the deployments file this chain's?)", dep.oracle))?;
    let grants = provider
        .get_logs(&Filter::new().address(dep.oracle).event_signature(ISignalOracle::RoleGranted::SIGNATURE_HASH).topic1(role).from_block(from_block))
        .await
        .context("reading the oracle's RoleGranted events")?;
    let mut submitters = Vec::new();
    for l in grants {
        let a = l.log_decode::<ISignalOracle::RoleGranted>()?.inner.data.account;
        if !submitters.contains(&a) && o.hasRole(role, a).call().await? {
            submitters.push(a);
        }
    }
    let c = o.getCommittee(dep.feed_id).call().await.map_err(|e| anyhow!("reading the committee of {}: {}", dep.symbol, describe_revert(&e)))?;
    let proposer = tl.PROPOSER_ROLE().call().await?;
    let pending = operations(provider, dep, None, from_block).await?.into_iter().filter(|op| op.state == "pending" || op.state == "ready").collect();
    Ok(AdminView {
        oracle: dep.oracle,
        admin: o.defaultAdmin().call().await?,
        timelock: dep.timelock,
        timelock_delay_s: tl.getMinDelay().call().await?.try_into().unwrap_or(u64::MAX),
        governor: dep.governor,
        governor_is_proposer: tl.hasRole(proposer, dep.governor).call().await?,
        submitters,
        feed: dep.feed_id,
        committee: c.members,
        threshold: c.threshold,
        committee_version: c.version,
        heartbeat_s: o.getFeed(dep.feed_id).call().await.map_err(|e| anyhow!("reading the feed {}: {}", dep.symbol, describe_revert(&e)))?.heartbeat,
        pending,
    })
}

/// Refuses a deployments file of another chain than the RPC's.
pub async fn same_chain(provider: &DynProvider, dep: &Deployment) -> anyhow::Result<()> {
    let id = provider.get_chain_id().await.context("reading the chain id")?;
    anyhow::ensure!(id == dep.chain_id, "the RPC's chain is {id}, the deployments file's {}: give the deployments file of this chain", dep.chain_id);
    Ok(())
}

/// The latest block's timestamp: the clock the timelock's delay runs on.
pub async fn chain_time(provider: &DynProvider) -> anyhow::Result<u64> {
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .context("reading the latest block")?
        .ok_or_else(|| anyhow!("the chain has no latest block"))?;
    Ok(block.header.timestamp)
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn fmt_time(t: u64) -> String {
    match chrono::DateTime::from_timestamp(t as i64, 0) {
        Some(d) => d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => format!("unix {t}"),
    }
}

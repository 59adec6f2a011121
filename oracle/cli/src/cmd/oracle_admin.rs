use super::oracle_key::SignerArgs;
use alloy::primitives::{Address, B256};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use veriregime_chain::governance::{self, fmt_time, Change, Operation};
use veriregime_chain::{Client, Deployment};

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// The oracle's admin and timelock, the accounts holding the submitter role, the feed's
    /// committee, and the timelock's operations not yet executed.
    /// Example: veriregime oracle admin show --rpc http://127.0.0.1:8545 --deployments deployments/anvil.json
    Show(ShowArgs),
    /// Schedule granting an account the submitter role (it may then transmit rounds). Signed by
    /// the governor (the timelock's proposer); `execute` it after the timelock's delay.
    /// Example: veriregime oracle admin grant-submitter 0x90F7...b906 --rpc http://127.0.0.1:8545 --deployments deployments/anvil.json --keystore governor.json
    GrantSubmitter(RoleArgs),
    /// Schedule revoking an account's submitter role. Signed by the governor; `execute` it
    /// after the timelock's delay.
    RevokeSubmitter(RoleArgs),
    /// Schedule a new committee for the deployment's feed: its members (comma-separated) and the
    /// signatures a round needs; members lacking the submitter role are granted it in the same
    /// operation. Signed by the governor; `execute` it after the timelock's delay.
    /// Example: veriregime oracle admin set-committee --members 0xA..,0xB..,0xC.. --threshold 2 --rpc ... --deployments ...
    SetCommittee(CommitteeArgs),
    /// Schedule a new heartbeat for the deployment's feed, seconds (whole minutes, 60 to 86400):
    /// 60 transmits every decision minute, more only changes and a round each heartbeat. Signed
    /// by the governor; `execute` it after the timelock's delay.
    /// Example: veriregime oracle admin set-heartbeat --seconds 3600 --rpc ... --deployments ...
    SetHeartbeat(HeartbeatArgs),
    /// Execute a scheduled operation once the timelock's delay has passed (any funded account
    /// may). Example: veriregime oracle admin execute 0x5c1e...9a0d --rpc ... --deployments ...
    Execute(ExecuteArgs),
}

impl AdminCmd {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            AdminCmd::Show(a) => a.run().await,
            AdminCmd::GrantSubmitter(a) => a.schedule(Change::GrantSubmitter).await,
            AdminCmd::RevokeSubmitter(a) => a.schedule(Change::RevokeSubmitter).await,
            AdminCmd::SetCommittee(a) => a.run().await,
            AdminCmd::SetHeartbeat(a) => a.run().await,
            AdminCmd::Execute(a) => a.run().await,
        }
    }
}

#[derive(Debug, Args)]
pub struct ChainArgs {
    #[arg(long, env = "VERIREGIME_RPC_URL")]
    pub rpc: String,
    /// Deployments file naming the oracle, its feed and the timelock (from `veriregime deploy`).
    #[arg(long)]
    pub deployments: PathBuf,
    /// First block searched for the oracle's and the timelock's events (e.g. the deployment's
    /// block, for RPC providers that limit log ranges).
    #[arg(long, default_value_t = 0)]
    pub from_block: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl ChainArgs {
    async fn client(&self, signer: &SignerArgs) -> anyhow::Result<(Client, Deployment)> {
        let dep = Deployment::load(&self.deployments)?;
        Ok((Client::connect_signer(&self.rpc, signer.signer()?).await?, dep))
    }

    /// Schedules the change `change` makes of the deployment (signed by the governor) and prints it.
    async fn schedule(&self, signer: &SignerArgs, change: impl FnOnce(&Deployment) -> Change) -> anyhow::Result<()> {
        let (client, dep) = self.client(signer).await?;
        let op = governance::schedule(&client, &dep, &change(&dep)).await?;
        self.print(&op, "scheduled")
    }

    fn print(&self, op: &Operation, done: &str) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string(op)?);
            return Ok(());
        }
        println!("operation {} {done}", op.id);
        for c in &op.calls {
            println!("  {}", c.what);
        }
        if op.state == "pending" || op.state == "ready" {
            println!(
                "ready at {}; then run: veriregime oracle admin execute {} --rpc {} --deployments {}",
                fmt_time(op.ready_at),
                op.id,
                veriregime_core::redact::redact_url(&self.rpc),
                self.deployments.display()
            );
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
}

impl ShowArgs {
    async fn run(self) -> anyhow::Result<()> {
        let dep = Deployment::load(&self.chain.deployments)?;
        let provider = veriregime_chain::rpc::connect_http(&self.chain.rpc, Duration::from_secs(30), None)?;
        let v = governance::show(&provider, &dep, self.chain.from_block).await?;
        if self.chain.json {
            println!("{}", serde_json::to_string(&v)?);
            return Ok(());
        }
        println!("oracle      {} (admin {})", v.oracle, v.admin);
        println!("timelock    {} (delay {} s; governor {}{})", v.timelock, v.timelock_delay_s, v.governor, if v.governor_is_proposer { "" } else { ", NOT its proposer" });
        println!("submitters  {}", if v.submitters.is_empty() { "-".into() } else { join(&v.submitters) });
        println!("committee   {} v{}: {} of {} [{}]", dep.symbol, v.committee_version, v.threshold, v.committee.len(), join(&v.committee));
        println!(
            "heartbeat   {} s{}",
            v.heartbeat_s,
            if v.heartbeat_s == 60 { " (a round every decision minute)" } else { " (changes, and a round each heartbeat)" }
        );
        for m in v.committee.iter().filter(|m| !v.submitters.contains(m)) {
            println!("  note: member {m} lacks the submitter role (it signs but cannot transmit)");
        }
        if v.pending.is_empty() {
            println!("pending     -");
        }
        for op in &v.pending {
            println!("pending     {} ({}, ready at {})", op.id, op.state, fmt_time(op.ready_at));
            for c in &op.calls {
                println!("              {}", c.what);
            }
        }
        Ok(())
    }
}

fn join(a: &[Address]) -> String {
    a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The account.
    pub account: Address,
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
}

impl RoleArgs {
    async fn schedule(self, change: impl FnOnce(Address) -> Change) -> anyhow::Result<()> {
        self.chain.schedule(&self.signer, |_| change(self.account)).await
    }
}

#[derive(Debug, Args)]
pub struct CommitteeArgs {
    /// The members, comma-separated, in their order (a member's index is its bit in each round's
    /// signer set).
    #[arg(long, value_delimiter = ',', required = true)]
    pub members: Vec<Address>,
    /// Signatures a round needs (k of the n members).
    #[arg(long)]
    pub threshold: u8,
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
}

impl CommitteeArgs {
    async fn run(self) -> anyhow::Result<()> {
        self.chain.schedule(&self.signer, |dep| Change::SetCommittee { feed: dep.feed_id, members: self.members.clone(), threshold: self.threshold }).await
    }
}

#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    /// The heartbeat, seconds.
    #[arg(long)]
    pub seconds: u32,
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
}

impl HeartbeatArgs {
    async fn run(self) -> anyhow::Result<()> {
        self.chain.schedule(&self.signer, |dep| Change::SetHeartbeat { feed: dep.feed_id, heartbeat: self.seconds }).await
    }
}

#[derive(Debug, Args)]
pub struct ExecuteArgs {
    /// The operation's id (printed when it was scheduled, listed by `admin show`).
    pub id: B256,
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
}

impl ExecuteArgs {
    async fn run(self) -> anyhow::Result<()> {
        let (client, dep) = self.chain.client(&self.signer).await?;
        let op = governance::execute(&client, &dep, self.id, self.chain.from_block).await?;
        self.chain.print(&op, "executed")
    }
}

use clap::{Args, Subcommand};
use std::path::PathBuf;
use veriregime_zk::circuit::{build_with_fixtures, fidelity, regenerate_keys, spread, windows_for, BuildJob};
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::signaler::Signaler;

#[derive(Debug, Subcommand)]
pub enum CircuitCmd {
    /// Compile a model folder into an EZKL circuit: settings, calibration on real windows, compiled
    /// circuit, SRS, keys, the Solidity verifier and a Foundry proof fixture.
    ///
    /// Example: veriregime circuit build --model models/student --out circuits/student --data ../shared/data/binance-vision
    Build(BuildArgs),
    /// Regenerate the proving key (never committed) from the committed circuit; checks that the
    /// verifying key it implies is the committed one. Does nothing when the key is present.
    Keys(KeysArgs),
    /// Fidelity: the circuit's signal (witness outputs) against the float model's (tract) on many
    /// windows; prints the agreement and every disagreement.
    ///
    /// Example: veriregime circuit fidelity --data ../shared/data/binance-vision --from 2024-01-20 --to 2024-03-31 --n 1000
    Fidelity(FidelityArgs),
}

impl CircuitCmd {
    pub fn run(self) -> anyhow::Result<()> {
        let rt = tokio::runtime::Runtime::new()?;
        match self {
            CircuitCmd::Build(a) => rt.block_on(a.run()),
            CircuitCmd::Keys(a) => rt.block_on(a.run()),
            CircuitCmd::Fidelity(a) => rt.block_on(a.run()),
        }
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub out: PathBuf,
    /// Archive root for calibration windows; without it, the synthetic fixture is used.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// Calibration days (YYYY-MM-DD), by default the model card's test period end.
    #[arg(long, default_value = "2024-03-01")]
    pub from: String,
    #[arg(long, default_value = "2024-03-31")]
    pub to: String,
    /// Number of calibration windows, spread evenly over the range.
    #[arg(long, default_value_t = 32)]
    pub calibration_windows: usize,
    /// A public SRS file (production); without it an insecure development SRS is generated.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// Where the generated verifier goes.
    #[arg(long, default_value = "contracts/generated/Halo2Verifier.sol")]
    pub sol_out: PathBuf,
    /// Where the Foundry proof fixture goes.
    #[arg(long, default_value = "test/fixtures/proof.json")]
    pub fixture: PathBuf,
    /// Extra flags for the driver's build step (e.g. "--num-inner-cols 4").
    #[arg(long, allow_hyphen_values = true)]
    pub driver_args: Option<String>,
}

impl BuildArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let job = BuildJob {
            model: self.model,
            out: self.out,
            data: self.data,
            symbol: self.symbol,
            from: self.from,
            to: self.to,
            calibration_windows: self.calibration_windows,
            srs: self.srs,
            sol_out: self.sol_out,
            fixture: self.fixture,
            driver_args: self.driver_args,
        };
        println!("{}", build_with_fixtures(&job).await?);
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[arg(long, default_value = "circuits/student")]
    pub dir: PathBuf,
    /// The SRS file the circuit was built with, when it is not the committed development SRS.
    #[arg(long)]
    pub srs: Option<PathBuf>,
}

impl KeysArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        regenerate_keys(&self.dir, self.srs.as_deref()).await
    }
}

#[derive(Debug, Args)]
pub struct FidelityArgs {
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub circuit: PathBuf,
    /// Archive root; without it, the synthetic fixture.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    #[arg(long, default_value = "2024-01-20")]
    pub from: String,
    #[arg(long, default_value = "2024-03-31")]
    pub to: String,
    /// Number of windows, spread evenly over the range.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
}

impl FidelityArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let root = project_root();
        let signaler = Signaler::load(&self.model, &self.circuit, Ezkl::new(&root))?;
        let (ds, samples) = windows_for(self.data.as_deref(), &self.symbol, &self.from, &self.to)?;
        let f = fidelity(&signaler, &ds, &spread(&samples, self.n)).await?;
        println!("{}", serde_json::to_string(&f)?);
        Ok(())
    }
}

//! `veriregime bench`: see `veriregime_lab::bench::run`.

use clap::Args;
use std::path::PathBuf;
use veriregime_lab::bench::run::BenchPlan;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Student model folders (each folder's name names its row).
    #[arg(long, value_delimiter = ',', default_values = ["models/student", "models/study/student-128-64-32", "models/study/student-32-16"])]
    pub students: Vec<PathBuf>,
    /// Driver build flags of each student's second, tuned circuit (row `<name>-tuned`); empty for
    /// none. The default shrinks the range-check lookup table from 2^14 to 2^12 entries, which
    /// lets a circuit of < 2^14 rows drop from logrows 15 to 14.
    #[arg(long, default_value = "--decomp-base 4096 --decomp-legs 2", allow_hyphen_values = true)]
    pub tuned_args: String,
    /// Driver build flags of every model's first circuit, the teacher's unless --teacher-args is
    /// given (default: none, EZKL's defaults).
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub driver_args: String,
    /// Driver build flags of the teacher's circuit, instead of --driver-args: S should compare the
    /// student with the teacher's fastest layout, not with EZKL's defaults.
    #[arg(long, allow_hyphen_values = true)]
    pub teacher_args: Option<String>,
    /// The teacher's model folder. Its circuit is heavy (here: logrows 19-20, a proving key of
    /// 7-10 GB, 19-24 GB of RAM and minutes per proof, by layout).
    #[arg(long, default_value = "models/teacher")]
    pub teacher: PathBuf,
    /// Leave the teacher out (then S is not measured).
    #[arg(long)]
    pub no_teacher: bool,
    /// Archive root for the windows; without it, the synthetic fixture.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First day of the windows (calibration, proofs, fidelity): by default the test split's.
    #[arg(long, default_value = "2024-01-24")]
    pub from: String,
    #[arg(long, default_value = "2024-03-31")]
    pub to: String,
    /// Proofs per model (timings are their median; the issue asks for at least 3).
    #[arg(long, default_value_t = 3)]
    pub proofs: usize,
    /// Windows for each student's fidelity (circuit signal vs tract).
    #[arg(long, default_value_t = 1000)]
    pub fidelity: usize,
    /// Windows for the teacher's fidelity (each witness of its circuit takes seconds).
    #[arg(long, default_value_t = 20)]
    pub teacher_fidelity: usize,
    #[arg(long, default_value_t = 32)]
    pub calibration_windows: usize,
    /// Where circuits and keys go (large; never committed). A build whose inputs are unchanged is
    /// reused from here, with the timings measured when it was made.
    #[arg(long, default_value = "target/bench")]
    pub work: PathBuf,
    /// Where RESULTS.md, RESULTS.json and pareto.png go.
    #[arg(long, default_value = "bench")]
    pub out: PathBuf,
    /// A public SRS file for every circuit; without it, insecure development SRSs are generated.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// Rebuild every circuit even when an identical build is in --work.
    #[arg(long)]
    pub rebuild: bool,
    /// Measure nothing: re-render RESULTS.md and pareto.png from --out's RESULTS.json.
    #[arg(long)]
    pub render: bool,
    /// Measure nothing: draw --out's pareto.png again from its RESULTS.json, leaving RESULTS.md
    /// and RESULTS.json as they are.
    ///
    /// Example: veriregime bench --replot --out bench/sizes
    #[arg(long, conflicts_with = "render")]
    pub replot: bool,
    /// Measure nothing: put every model of these runs' RESULTS.json (folders, named relative to
    /// --out in the table) on one Pareto plot; writes --out's PARETO.md and pareto.png.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["render", "replot"])]
    pub pareto_of: Vec<PathBuf>,
}

impl BenchArgs {
    pub fn run(self) -> anyhow::Result<()> {
        tokio::runtime::Runtime::new()?.block_on(self.into_plan().run())
    }

    fn into_plan(self) -> BenchPlan {
        BenchPlan {
            students: self.students,
            tuned_args: self.tuned_args,
            driver_args: self.driver_args,
            teacher_args: self.teacher_args,
            teacher: self.teacher,
            no_teacher: self.no_teacher,
            data: self.data,
            symbol: self.symbol,
            from: self.from,
            to: self.to,
            proofs: self.proofs,
            fidelity: self.fidelity,
            teacher_fidelity: self.teacher_fidelity,
            calibration_windows: self.calibration_windows,
            work: self.work,
            out: self.out,
            srs: self.srs,
            rebuild: self.rebuild,
            render: self.render,
            replot: self.replot,
            pareto_of: self.pareto_of,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veriregime_lab::bench::Role;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn args(flags: &[&str]) -> BenchArgs {
        Cli::parse_from(std::iter::once("bench").chain(flags.iter().copied())).bench
    }

    #[test]
    fn the_teacher_takes_its_own_flags_and_only_students_get_a_tuned_circuit() {
        let a = args(&["--driver-args", "--num-inner-cols 2", "--teacher-args", " --num-inner-cols 4 ", "--tuned-args", "--num-inner-cols 1"]);
        assert_eq!(a.clone().into_plan().circuits_of(Role::Teacher, "teacher"), vec![("--num-inner-cols 4".to_string(), "teacher".to_string())]);
        assert_eq!(
            a.clone().into_plan().circuits_of(Role::Student, "student"),
            vec![("--num-inner-cols 2".to_string(), "student".to_string()), ("--num-inner-cols 1".to_string(), "student-tuned".to_string())]
        );
    }

    #[test]
    fn without_teacher_args_the_teacher_takes_the_driver_args() {
        let a = args(&["--driver-args", "--num-inner-cols 2", "--tuned-args", ""]);
        assert_eq!(a.clone().into_plan().circuits_of(Role::Teacher, "teacher"), vec![("--num-inner-cols 2".to_string(), "teacher".to_string())]);
        assert_eq!(a.clone().into_plan().circuits_of(Role::Student, "s"), vec![("--num-inner-cols 2".to_string(), "s".to_string())]);
    }
}

//! EZKL, driven through the pinned Python package (`scripts/ezkl_driver.py` in the project's
//! virtualenv). Each call is a supervised child process: it has a timeout, is killed when it
//! overruns or when the caller gives up, and its failure comes back as an error that names the
//! step and carries the end of its stderr. It gets only the environment it needs ([`child_env`]):
//! no secret of the parent's reaches it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Errors of the prover process.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    #[error("cannot start the EZKL driver ({python} {script}): {source}; run `make bootstrap`")]
    Spawn { python: PathBuf, script: PathBuf, source: std::io::Error },
    #[error("EZKL `{step}` did not finish within {secs} s and was killed")]
    Timeout { step: String, secs: u64 },
    #[error("EZKL `{step}` failed (exit {code:?}): {stderr}")]
    Failed { step: String, code: Option<i32>, stderr: String },
    #[error("EZKL `{step}` printed no JSON result: {detail}")]
    Output { step: String, detail: String },
}

/// Where the project lives: `VERIREGIME_ROOT`, else the nearest folder upwards from the current
/// directory that holds `scripts/ezkl_driver.py`, else the source tree this binary was built from.
pub fn project_root() -> PathBuf {
    if let Some(r) = std::env::var_os("VERIREGIME_ROOT") {
        return PathBuf::from(r);
    }
    if let Ok(mut d) = std::env::current_dir() {
        loop {
            if d.join("scripts/ezkl_driver.py").is_file() {
                return d;
            }
            if !d.pop() {
                break;
            }
        }
    }
    // This crate is oracle/zk: the project is two folders up.
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("oracle/zk has a grandparent").to_path_buf()
}

/// A tool of the pinned npm toolchain (`forge`, `anvil`, `cast`): the native binary of its
/// platform package (`@foundry-rs/<name>-<platform>/bin/<name>`), else the `.bin` launcher, else
/// the one on PATH. The native binary first: the npm launcher is a node process that spawns it,
/// and stopping the launcher leaves the binary running.
pub fn npm_tool(root: &Path, name: &str) -> PathBuf {
    let scope = root.join("scripts/node_modules/@foundry-rs");
    if let Ok(dirs) = std::fs::read_dir(&scope) {
        let prefix = format!("{name}-");
        let mut native: Vec<PathBuf> = dirs
            .flatten()
            .filter(|d| d.file_name().to_string_lossy().starts_with(&prefix))
            .map(|d| d.path().join("bin").join(name))
            .filter(|p| p.is_file())
            .collect();
        native.sort();
        if let Some(p) = native.into_iter().next() {
            return p;
        }
    }
    let p = root.join("scripts/node_modules/.bin").join(name);
    if p.is_file() {
        p
    } else {
        PathBuf::from(name)
    }
}

/// A handle on the EZKL driver script.
#[derive(Debug, Clone)]
pub struct Ezkl {
    pub python: PathBuf,
    pub script: PathBuf,
}

impl Default for Ezkl {
    fn default() -> Self {
        Self::new(&project_root())
    }
}

impl Ezkl {
    /// The driver of the project at `root`: `VERIREGIME_PYTHON` or `root/.venv/bin/python`.
    pub fn new(root: &Path) -> Self {
        let python = std::env::var_os("VERIREGIME_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv/bin/python"));
        Ezkl { python, script: root.join("scripts/ezkl_driver.py") }
    }

    /// Runs one driver subcommand and returns its JSON result (the last line of stdout).
    pub async fn run(&self, step: &str, args: &[String], timeout: Duration) -> Result<Value, ProverError> {
        let mut cmd = tokio::process::Command::new(&self.python);
        cmd
            .arg(&self.script)
            .arg(step)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_clear()
            .envs(child_env(std::env::vars_os()))
            .kill_on_drop(true);
        // The prover must not outlive us, even after a SIGKILL (kill_on_drop cannot run then).
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|source| ProverError::Spawn { python: self.python.clone(), script: self.script.clone(), source })?;
        let mut out = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        let read_out = async {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s).await;
            s
        };
        let read_err = async {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s).await;
            s
        };
        let work = async { tokio::join!(child.wait(), read_out, read_err) };
        let (status, stdout, stderr) = match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => {
                // `child` is dropped with kill_on_drop; kill explicitly so it is gone now.
                let _ = child.start_kill();
                return Err(ProverError::Timeout { step: step.into(), secs: timeout.as_secs() });
            }
        };
        let status = status.map_err(|e| ProverError::Failed { step: step.into(), code: None, stderr: e.to_string() })?;
        if !status.success() {
            return Err(ProverError::Failed { step: step.into(), code: status.code(), stderr: tail(&stderr, 1500) });
        }
        let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).ok_or_else(|| ProverError::Output {
            step: step.into(),
            detail: tail(&stdout, 500),
        })?;
        serde_json::from_str(line).map_err(|e| ProverError::Output { step: step.into(), detail: e.to_string() })
    }
}

/// The environment a prover child gets: what Python, the virtualenv and EZKL need, nothing else.
/// The operator's key (`VERIREGIME_PRIVATE_KEY`), the keystore password and any other secret of
/// the daemon's environment never reach it (a child's environment is readable in
/// `/proc/PID/environ` by its user).
pub fn child_env(parent: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    const EXACT: &[&str] = &["PATH", "HOME", "USER", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TMP", "TEMP", "VIRTUAL_ENV", "VERIREGIME_ROOT", "RUST_LOG", "RUST_BACKTRACE"];
    // Python's own variables, EZKL's (its SRS folder), and the thread pools' sizes.
    const PREFIXES: &[&str] = &["LC_", "PYTHON", "EZKL_", "RAYON_", "OMP_"];
    parent
        .into_iter()
        .filter(|(k, _)| {
            let k = k.to_string_lossy();
            EXACT.contains(&k.as_ref()) || PREFIXES.iter().any(|p| k.starts_with(p))
        })
        .collect()
}

fn tail(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.len() <= n {
        return s.to_string();
    }
    let mut i = s.len() - n;
    while !s.is_char_boundary(i) {
        i += 1;
    }
    format!("...{}", &s[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(script: &str) -> (tempfile::TempDir, Ezkl) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("driver.py");
        std::fs::write(&path, script).unwrap();
        let e = Ezkl { python: "python3".into(), script: path };
        (dir, e)
    }

    #[tokio::test]
    async fn a_hung_prover_is_killed_with_a_clear_error() {
        let (_d, e) = fake("import time\ntime.sleep(30)\n");
        let t = std::time::Instant::now();
        let err = e.run("prove", &[], Duration::from_millis(500)).await.unwrap_err();
        assert!(matches!(err, ProverError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("`prove` did not finish within"));
        assert!(t.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_crashed_prover_reports_its_stderr() {
        let (_d, e) = fake("import sys\nsys.stderr.write('setup: out of memory\\n')\nsys.exit(3)\n");
        let err = e.run("setup", &[], Duration::from_secs(20)).await.unwrap_err();
        assert!(err.to_string().contains("exit Some(3)") && err.to_string().contains("out of memory"), "{err}");
    }

    #[test]
    fn the_child_environment_is_an_allow_list() {
        let parent = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/op"),
            ("LC_ALL", "C.UTF-8"),
            ("PYTHONPATH", "/x"),
            ("VERIREGIME_ROOT", "/srv/vr"),
            ("VERIREGIME_PRIVATE_KEY", "ac09"),
            ("VERIREGIME_KEYSTORE_PASSWORD", "pw"),
            ("VERIREGIME_CHAIN__RPC_URL", "http://u:p@h"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        let got: Vec<String> = child_env(parent).into_iter().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
        assert_eq!(got, ["PATH", "HOME", "LC_ALL", "PYTHONPATH", "VERIREGIME_ROOT"]);
    }

    #[tokio::test]
    async fn the_child_sees_only_the_allowed_environment() {
        // The child prints its own environment; this process's has far more (cargo's, the
        // shell's), of which only the allowed names may arrive.
        let (_d, mut e) = fake("import os, json\nprint(json.dumps({'env': sorted(os.environ)}))\n");
        // The interpreter itself, not a launcher script (pyenv's shims are shell scripts that set
        // variables of their own).
        let exe = std::process::Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().unwrap();
        e.python = String::from_utf8(exe.stdout).unwrap().trim().into();
        let v = e.run("env", &[], Duration::from_secs(20)).await.unwrap();
        let names: Vec<String> = v["env"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
        let allowed: Vec<String> = child_env(std::env::vars_os()).into_iter().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
        let parent: Vec<String> = std::env::vars_os().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
        assert!(parent.iter().any(|k| !allowed.contains(k)), "the test's environment has nothing to leave out");
        for n in &names {
            // Python may add a few of its own (LC_CTYPE coercion).
            assert!(allowed.contains(n) || !parent.contains(n), "{n} reached the child");
        }
        assert!(names.iter().any(|n| n == "PATH"));
    }

    #[tokio::test]
    async fn the_last_json_line_is_the_result() {
        let (_d, e) = fake("import sys, json\nprint('noise')\nprint(json.dumps({'step': sys.argv[1], 'n': 2}))\n");
        let v = e.run("verify", &[], Duration::from_secs(20)).await.unwrap();
        assert_eq!(v["step"], "verify");
        assert_eq!(v["n"], 2);
    }
}

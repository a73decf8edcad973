//! The Python `eql` baseline of `cargo xtask bench --python`: PyPI `eql` 1.0.1 in a
//! virtualenv under `target/bench/python-eql`, running `bench/python/eql_baseline.py`
//! over the benchmark's stream.

use serde_json::Value as Json;
use std::path::Path;
use std::process::Command;

/// The version measured (benchmark.md, M7).
pub const EQL_VERSION: &str = "1.0.1";

/// What the Python engine did.
#[derive(Debug, Clone)]
pub struct PythonResult {
    pub version: String,
    pub rules_total: u64,
    pub rules_loaded: u64,
    pub events_per_s: f64,
    pub alerts: u64,
}

pub fn run(root: &Path, rules: &Path, stream: &Path) -> Result<PythonResult, String> {
    let venv = root.join("target/bench/python-eql");
    let python = venv.join("bin/python");
    if !python.exists() {
        eprintln!(
            "xtask bench: creating a virtualenv with eql=={EQL_VERSION} in {}",
            venv.display()
        );
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("python3 -m venv: {e} (is Python 3.11+ installed?)"))?;
        if !status.success() {
            return Err("python3 -m venv failed".into());
        }
    }
    let has_eql = Command::new(&python)
        .args([
            "-c",
            &format!("import eql, sys; sys.exit(eql.__version__ != {EQL_VERSION:?})"),
        ])
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_eql {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                &format!("eql=={EQL_VERSION}"),
            ])
            .status()
            .map_err(|e| format!("pip: {e}"))?;
        if !status.success() {
            return Err(format!("pip install eql=={EQL_VERSION} failed"));
        }
    }
    eprintln!("xtask bench: running the Python eql engine over the stream");
    let out = Command::new(&python)
        .arg(root.join("bench/python/eql_baseline.py"))
        .arg(rules)
        .arg(stream)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let j: Json = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok(PythonResult {
        version: j["version"].as_str().unwrap_or("?").to_string(),
        rules_total: j["rules_total"].as_u64().unwrap_or(0),
        rules_loaded: j["rules_loaded"].as_u64().unwrap_or(0),
        events_per_s: j["events_per_s"].as_f64().unwrap_or(0.0),
        alerts: j["alerts"].as_u64().unwrap_or(0),
    })
}

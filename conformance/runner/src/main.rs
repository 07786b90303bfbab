//! `cachekit-conformance FILE...`: runs conformance vector files through the Rust core and
//! prints `FAIL file:section/name: reason` per failure, closing with `N passed, N failed`.
//! Called by `conformance/run --binding rust`; the contract is in VECTORS.md.

mod schemas;

use std::path::Path;
use std::process::ExitCode;

use serde_json::Value as Json;

/// Outcome of one vector.
pub type Check = Result<(), String>;

/// Collects results for one file and prints failures as they happen.
pub struct Report {
    file: String,
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Report {
    /// Records a vector's outcome.
    pub fn check(&mut self, section: &str, name: &str, outcome: Check) {
        match outcome {
            Ok(()) => self.passed += 1,
            Err(why) => {
                self.failed += 1;
                println!("FAIL {}:{section}/{name}: {why}", self.file);
            }
        }
    }

    /// Records a vector that VECTORS.md puts out of scope for every binding.
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// Fails every vector of a section this runner does not know.
    pub fn unknown_section(&mut self, section: &str, body: &Json) {
        let n = match body {
            Json::Array(a) => a.len().max(1),
            _ => 1,
        };
        for _ in 0..n {
            self.check(section, "*", Err("unknown section: this runner cannot run it".into()));
        }
    }
}

fn run_file(path: &str, total: &mut Report) {
    let file = Path::new(path).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_owned());
    let schema = file.split('.').next().unwrap_or_default().to_owned();
    let mut report = Report { file: file.clone(), passed: 0, failed: 0, skipped: 0 };
    let doc: Result<Json, String> = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()));
    match doc {
        Err(e) => report.check("file", "*", Err(format!("cannot read: {e}"))),
        Ok(doc) => {
            if let Err(e) = schemas::run(&schema, &doc, &mut report) {
                report.check("file", "*", Err(e));
            }
        }
    }
    total.passed += report.passed;
    total.failed += report.failed;
    total.skipped += report.skipped;
}

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: cachekit-conformance FILE...");
        return ExitCode::from(2);
    }
    let mut total = Report { file: String::new(), passed: 0, failed: 0, skipped: 0 };
    for f in &files {
        run_file(f, &mut total);
    }
    if total.skipped > 0 {
        println!("{} passed, {} failed, {} skipped", total.passed, total.failed, total.skipped);
    } else {
        println!("{} passed, {} failed", total.passed, total.failed);
    }
    if total.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

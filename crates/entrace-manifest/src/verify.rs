//! `entrace verify`: the chain-of-custody check. Re-hashes every output file
//! that manifest.json lists with a SHA-256 and, when evidence paths are given,
//! every input file and archive member, and reports each mismatch, missing
//! file and unlisted file.
//!
//! Every output the manifest lists ([`Manifest::output_files`]: the tables
//! and the reports) is checked, so outputs added later are covered by listing
//! them there. Evidence is opened exactly as `convert` opens it (same
//! container code, same member names), read-only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::{Manifest, MANIFEST_FILE};
use entrace_input::discover;
use entrace_input::stream::hash_evidence;
use entrace_model::error::{Error, Result};
use entrace_table::output::sha256_file;

/// What is wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file's SHA-256 differs from the one recorded.
    Mismatch {
        /// Recorded in manifest.json.
        expected: String,
        /// Computed now.
        found: String,
    },
    /// Listed in manifest.json but not there (or unreadable: the reason).
    Missing(String),
    /// There, but not listed in manifest.json.
    Extra,
}

/// One file that did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Output file path, or evidence path with `!member` for archive members.
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Mismatch { expected, found } => write!(
                f,
                "{}: sha256 mismatch: expected {expected}, found {found}",
                self.path
            ),
            Problem::Missing(why) => write!(f, "{}: missing: {why}", self.path),
            Problem::Extra => write!(f, "{}: extra: not listed in manifest.json", self.path),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Default)]
pub struct Verification {
    /// SHA-256 of manifest.json itself, which cannot record its own hash:
    /// compare it with the value kept in the case notes.
    pub manifest_sha256: String,
    /// Output files whose hash matched.
    pub outputs_ok: usize,
    /// Evidence files and members whose hash matched.
    pub evidence_ok: usize,
    /// Everything that did not verify, outputs first, each group sorted by path.
    pub findings: Vec<Finding>,
}

impl Verification {
    /// Whether everything matched.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// One summary line: `verified 10 output files and 12 evidence streams: …`.
    pub fn summary(&self) -> String {
        let count =
            |want: fn(&Problem) -> bool| self.findings.iter().filter(|f| want(&f.problem)).count();
        format!(
            "verified {} output files and {} evidence streams: {} mismatched, {} missing, {} extra",
            self.outputs_ok,
            self.evidence_ok,
            count(|p| matches!(p, Problem::Mismatch { .. })),
            count(|p| matches!(p, Problem::Missing(_))),
            count(|p| matches!(p, Problem::Extra)),
        )
    }
}

/// Verifies `out_dir` against its manifest, and `evidence` (may be empty)
/// against the manifest's `inputs`. Fatal only when the manifest itself cannot
/// be read; every file problem is a [`Finding`].
pub fn verify(out_dir: &Path, evidence: &[PathBuf]) -> Result<Verification> {
    let manifest_path = out_dir.join(MANIFEST_FILE);
    let text = std::fs::read(&manifest_path).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot read ({e}): not an entrace output directory",
            manifest_path.display()
        ))
    })?;
    let manifest = Manifest::parse(&text, &manifest_path)?;
    let mut v = Verification {
        manifest_sha256: hex::encode(sha2::Sha256::digest(&text)),
        ..Verification::default()
    };
    verify_outputs(out_dir, &manifest, &mut v)?;
    if !evidence.is_empty() {
        verify_evidence(&manifest, evidence, &mut v)?;
    }
    Ok(v)
}

fn verify_outputs(out_dir: &Path, manifest: &Manifest, v: &mut Verification) -> Result<()> {
    let mut expected: BTreeMap<&str, &str> = BTreeMap::new();
    for (file, sha) in manifest.output_files() {
        // A name that leaves OUT_DIR is never followed.
        let plain = Path::new(file)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain {
            return Err(Error::Usage(format!(
                "{}: manifest.json lists {file:?}, which is not a file name inside the directory",
                out_dir.display()
            )));
        }
        expected.insert(file, sha);
    }
    let mut found: BTreeSet<String> = BTreeSet::new();
    let entries = std::fs::read_dir(out_dir)
        .map_err(|e| Error::io(out_dir, "cannot list output directory", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(out_dir, "cannot list output directory", e))?;
        found.insert(entry.file_name().to_string_lossy().into_owned());
    }
    found.remove(MANIFEST_FILE);
    for (file, sha) in &expected {
        let path = out_dir.join(file);
        let shown = path.display().to_string();
        if !found.remove(*file) {
            v.findings.push(Finding {
                path: shown,
                problem: Problem::Missing("listed in manifest.json but not found".into()),
            });
            continue;
        }
        match sha256_file(&path) {
            Ok(actual) if actual == *sha => v.outputs_ok += 1,
            Ok(actual) => v.findings.push(Finding {
                path: shown,
                problem: Problem::Mismatch {
                    expected: sha.to_string(),
                    found: actual,
                },
            }),
            Err(e) => v.findings.push(Finding {
                path: shown,
                problem: Problem::Missing(format!("cannot read: {e}")),
            }),
        }
    }
    for extra in found {
        v.findings.push(Finding {
            path: out_dir.join(extra).display().to_string(),
            problem: Problem::Extra,
        });
    }
    Ok(())
}

/// `path!member` as convert names streams.
fn stream_name(path: &str, member: Option<&str>) -> String {
    match member {
        Some(m) => format!("{path}!{m}"),
        None => path.to_string(),
    }
}

fn verify_evidence(manifest: &Manifest, evidence: &[PathBuf], v: &mut Verification) -> Result<()> {
    let limit = manifest.options.max_decompressed_size;
    // Recorded streams under the given paths: those must be found again.
    let covered = |p: &str| evidence.iter().any(|e| Path::new(p).starts_with(e));
    let mut recorded: BTreeMap<String, String> = BTreeMap::new();
    for input in &manifest.inputs {
        if covered(&input.path) {
            let name = stream_name(&input.path, input.member.as_deref());
            recorded.insert(name, input.sha256.clone());
        }
    }
    let mut seen = BTreeSet::new();
    for file in discover(evidence)? {
        for stream in hash_evidence(&file, limit) {
            let name = stream_name(&stream.path, stream.member.as_deref());
            seen.insert(name.clone());
            let problem = match recorded.get(&name) {
                None => Some(Problem::Extra),
                Some(sha) if *sha == stream.sha256 => None,
                Some(sha) => Some(Problem::Mismatch {
                    expected: sha.clone(),
                    found: stream.sha256.clone(),
                }),
            };
            match problem {
                None => v.evidence_ok += 1,
                Some(problem) => v.findings.push(Finding {
                    path: name,
                    problem,
                }),
            }
        }
    }
    for name in recorded.keys().filter(|n| !seen.contains(*n)) {
        v.findings.push(Finding {
            path: name.clone(),
            problem: Problem::Missing("listed in manifest.json inputs but not found".into()),
        });
    }
    Ok(())
}

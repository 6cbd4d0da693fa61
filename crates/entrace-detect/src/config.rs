//! Detection thresholds: one documented set of defaults (declared by each
//! detection), overridable by a TOML file (`--config`) and by `--set
//! ENT-005.users_per_20m=8`. The effective values go into the manifest, every
//! finding and every report.
//!
//! ```toml
//! # entrace.toml
//! [ENT-005]
//! users_per_20m = 8
//!
//! [vocabulary.sign_ins]
//! legacy_clients = ["imap4", "pop3"]
//! ```
//!
//! The vocabularies (`[vocabulary.*]`) are documented in `vocabulary.toml`.

use std::collections::BTreeMap;
use std::path::Path;

use super::registry::{lookup, REGISTRY};
use super::vocabulary::Vocabulary;
use entrace_model::error::{Error, Result};

/// One tunable threshold of a detection.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name, unique within the detection (`window_min`, `min_failures`).
    pub key: &'static str,
    /// Default value.
    pub default: f64,
    /// What it means, with its unit.
    pub doc: &'static str,
}

/// The effective thresholds of every detection, and the vocabulary they
/// match on.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    values: BTreeMap<&'static str, BTreeMap<&'static str, f64>>,
    /// The vocabularies the rules match on (`[vocabulary.*]` in the file).
    pub vocabulary: Vocabulary,
}

impl Default for Config {
    fn default() -> Self {
        let values = REGISTRY
            .iter()
            .map(|d| (d.id, d.params.iter().map(|p| (p.key, p.default)).collect()))
            .collect();
        Config {
            values,
            vocabulary: Vocabulary::default(),
        }
    }
}

/// The effective thresholds of one detection.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    id: &'static str,
    values: &'a BTreeMap<&'static str, f64>,
}

impl Params<'_> {
    /// A value as a number.
    pub fn get(&self, key: &str) -> f64 {
        match self.values.get(key) {
            Some(v) => *v,
            // Every key a detection reads is declared in its params; a test checks it.
            None => panic!("{} reads undeclared threshold {key}", self.id),
        }
    }

    /// A value as a count.
    pub fn count(&self, key: &str) -> usize {
        self.get(key).max(0.0) as usize
    }

    /// A value in minutes, as nanoseconds.
    pub fn minutes(&self, key: &str) -> i64 {
        (self.get(key) * 60.0 * 1e9) as i64
    }

    /// The values as a JSON object (for findings and reports).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self.values).unwrap_or_default()
    }
}

impl Config {
    /// The thresholds of detection `id`.
    pub fn params(&self, id: &'static str) -> Params<'_> {
        static EMPTY: BTreeMap<&'static str, f64> = BTreeMap::new();
        Params {
            id,
            values: self.values.get(id).unwrap_or(&EMPTY),
        }
    }

    /// Sets `ENT-005.users_per_20m` to `value`; unknown names are errors that
    /// list what exists.
    pub fn set(&mut self, name: &str, value: f64, origin: &str) -> Result<()> {
        let (id, key) = name.split_once('.').ok_or_else(|| {
            Error::Usage(format!(
                "{origin}: expected DETECTION.KEY=VALUE like ENT-005.users_per_20m=8, got {name:?}"
            ))
        })?;
        let det = lookup(id).ok_or_else(|| {
            Error::Usage(format!(
                "{origin}: unknown detection {id:?}; `entrace detections` lists them"
            ))
        })?;
        let param = det.params.iter().find(|p| p.key == key).ok_or_else(|| {
            let keys: Vec<&str> = det.params.iter().map(|p| p.key).collect();
            Error::Usage(format!(
                "{origin}: {} has no threshold {key:?}; it has: {}",
                det.id,
                if keys.is_empty() {
                    "none".to_string()
                } else {
                    keys.join(", ")
                }
            ))
        })?;
        if !value.is_finite() || value < 0.0 {
            return Err(Error::Usage(format!(
                "{origin}: {}.{key} must be a non-negative number, got {value}",
                det.id
            )));
        }
        self.values
            .entry(det.id)
            .or_default()
            .insert(param.key, value);
        Ok(())
    }

    /// Applies one `--set NAME=VALUE`.
    pub fn apply_set(&mut self, assignment: &str) -> Result<()> {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            Error::Usage(format!(
                "--set {assignment:?}: expected DETECTION.KEY=VALUE like ENT-005.users_per_20m=8"
            ))
        })?;
        let value: f64 = value.trim().parse().map_err(|_| {
            Error::Usage(format!("--set {assignment:?}: {value:?} is not a number"))
        })?;
        self.set(name.trim(), value, "--set")
    }

    /// Applies a TOML file of `[ENT-xxx]` tables of numbers.
    pub fn apply_toml(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "cannot read configuration", e))?;
        let origin = path.display().to_string();
        let doc: toml::Table = text
            .parse()
            .map_err(|e| Error::Usage(format!("{origin}: invalid TOML: {e}")))?;
        for (id, table) in doc {
            if id == "vocabulary" {
                let table = table.as_table().ok_or_else(|| {
                    Error::Usage(format!(
                        "{origin}: [vocabulary] must hold tables like [vocabulary.sign_ins]"
                    ))
                })?;
                self.vocabulary.apply(table, &origin)?;
                continue;
            }
            let table = table.as_table().ok_or_else(|| {
                Error::Usage(format!(
                    "{origin}: [{id}] must be a table of thresholds, like [ENT-005] users_per_20m = 8"
                ))
            })?;
            for (key, value) in table {
                let number = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64))
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "{origin}: {id}.{key} must be a number, got {value:?}"
                        ))
                    })?;
                self.set(&format!("{id}.{key}"), number, &origin)?;
            }
        }
        Ok(())
    }

    /// Every effective value, as JSON (`{"ENT-001": {"min_failures": 2, …}, …}`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.values).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_toml_override_defaults_and_reject_unknown_names() {
        let mut c = Config::default();
        assert_eq!(c.params("ENT-001").get("min_failures"), 2.0);
        c.apply_set("ENT-001.min_failures=4").unwrap();
        assert_eq!(c.params("ENT-001").count("min_failures"), 4);
        let err = c.apply_set("ENT-001.nope=1").unwrap_err().to_string();
        assert!(err.contains("has no threshold \"nope\""), "{err}");
        assert!(err.contains("min_failures"), "{err}");
        assert!(c.apply_set("ENT-999.x=1").is_err());
        assert!(c.apply_set("ENT-001.min_failures=-1").is_err());
        assert!(c.apply_set("ENT-001.min_failures").is_err());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "[ENT-001]\nwindow_min = 45\n").unwrap();
        c.apply_toml(&path).unwrap();
        assert_eq!(
            c.params("ENT-001").minutes("window_min"),
            45 * 60 * 1_000_000_000
        );
        std::fs::write(&path, "[ENT-001]\nwindow_min = \"long\"\n").unwrap();
        assert!(c
            .apply_toml(&path)
            .unwrap_err()
            .to_string()
            .contains("must be a number"));
    }
}

//! The vocabularies the rules match on, as data: `vocabulary.toml`, compiled
//! in and documented there, which a `--config` file can override list by
//! list under `[vocabulary.<section>]`. The effective vocabulary is
//! recorded in the manifest, so a run says what it matched on.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use entrace_model::error::{Error, Result};

/// The vocabulary compiled into entrace.
const BUILTIN: &str = include_str!("vocabulary.toml");

/// Every vocabulary the rules read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Named sets of sign-in error codes.
    pub error_codes: ErrorCodes,
    /// Sign-in clients and risk types.
    pub sign_ins: SignIns,
    /// Application consent scopes.
    pub consent: Consent,
    /// Audit activities, as [`entrace_case::audit::activity_key`]s.
    pub audit_activities: AuditActivities,
    /// Privileged built-in roles.
    pub privileged_roles: Vec<Role>,
    /// Identity Protection risk event types by `riskEventType`.
    pub risk_event_types: BTreeMap<String, RiskEventType>,
}

/// Named sets of sign-in `status.errorCode` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodes {
    /// Wrong password, lockout, no password, validation failed.
    pub credential_failure: Vec<i32>,
    /// The password was right but something else stopped the sign-in.
    pub password_validated: Vec<i32>,
    /// Blocks by Conditional Access or security defaults.
    pub policy_block: Vec<i32>,
}

/// Sign-in clients and risk types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIns {
    /// `clientAppUsed` values of legacy clients, lower-case.
    pub legacy_clients: Vec<String>,
    /// User-agent markers of ROPC and legacy tooling.
    pub ropc_user_agents: Vec<String>,
    /// `riskEventTypes` of anonymizing or hostile infrastructure.
    pub anonymizing_risk_types: Vec<String>,
}

/// Application consent scopes that reach mail, files, chats or notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Scope name prefixes, lower case.
    pub risky_scope_prefixes: Vec<String>,
    /// Whole scope names, lower case.
    pub risky_scope_names: Vec<String>,
}

/// Audit activities some rules look for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditActivities {
    /// Changes of a user's security info (ENT-019).
    pub security_info_changes: Vec<String>,
    /// Password resets and changes (ENT-021).
    pub password_changes: Vec<String>,
}

/// A privileged built-in role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Display name.
    pub name: String,
    /// Role template id.
    pub template_id: String,
}

/// What entrace says of one Identity Protection risk event type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskEventType {
    /// Microsoft's title.
    pub title: String,
    /// Default MITRE ATT&CK techniques of a finding about one.
    pub mitre: Vec<String>,
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary::builtin().clone()
    }
}

impl Vocabulary {
    /// The vocabulary compiled in (`vocabulary.toml`).
    pub fn builtin() -> &'static Vocabulary {
        static BUILT: OnceLock<Vocabulary> = OnceLock::new();
        // The file is part of the source and a test parses it.
        BUILT.get_or_init(|| {
            toml::from_str(BUILTIN).unwrap_or_else(|e| panic!("vocabulary.toml: {e}"))
        })
    }

    /// Replaces the lists a `[vocabulary]` table of a `--config` file
    /// (named `origin` in errors) gives; unknown sections or keys are errors
    /// that say what exists.
    pub fn apply(&mut self, table: &toml::Table, origin: &str) -> Result<()> {
        let mut merged = toml::Table::try_from(&*self)
            .map_err(|e| Error::Internal(format!("vocabulary: {e}")))?;
        for (section, value) in table {
            let Some(current) = merged.get_mut(section) else {
                return Err(Error::Usage(format!(
                    "{origin}: [vocabulary.{section}] is not a vocabulary; there are: {}",
                    merged.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            };
            match (current, value) {
                (toml::Value::Table(current), toml::Value::Table(new)) => {
                    for (key, list) in new {
                        if !current.contains_key(key) {
                            return Err(Error::Usage(format!(
                                "{origin}: vocabulary.{section} has no list {key:?}; it has: {}",
                                current.keys().cloned().collect::<Vec<_>>().join(", ")
                            )));
                        }
                        current.insert(key.clone(), list.clone());
                    }
                }
                (current, new) => *current = new.clone(),
            }
        }
        *self = merged.try_into().map_err(|e: toml::de::Error| {
            Error::Usage(format!("{origin}: [vocabulary]: {}", e.message()))
        })?;
        Ok(())
    }

    /// Whether `code` is a credential failure.
    pub fn is_credential_failure(&self, code: Option<i32>) -> bool {
        code.is_some_and(|c| self.error_codes.credential_failure.contains(&c))
    }

    /// Whether `code` shows the password was validated (success included).
    pub fn is_password_validated(&self, code: Option<i32>) -> bool {
        code.is_some_and(|c| {
            c == super::codes::SUCCESS || self.error_codes.password_validated.contains(&c)
        })
    }

    /// Whether `code` is a Conditional Access or security-defaults block.
    pub fn is_policy_block(&self, code: Option<i32>) -> bool {
        code.is_some_and(|c| self.error_codes.policy_block.contains(&c))
    }

    /// Whether a risk event type marks anonymizing infrastructure.
    pub fn is_anonymizing(&self, risk_type: &str) -> bool {
        self.sign_ins
            .anonymizing_risk_types
            .iter()
            .any(|t| t == risk_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_vocabulary_parses_and_holds_what_the_rules_expect() {
        let v = Vocabulary::builtin();
        assert_eq!(
            v.error_codes.credential_failure,
            [50053, 50056, 50064, 50126]
        );
        assert!(v.is_password_validated(Some(530035)));
        assert!(v.is_policy_block(Some(53003)));
        assert!(v.sign_ins.legacy_clients.iter().any(|c| c == "imap4"));
        assert!(v.is_anonymizing("anonymizedIPAddress"));
        assert_eq!(v.privileged_roles[0].name, "Global Administrator");
        assert_eq!(
            v.risk_event_types["anonymizedIPAddress"].mitre,
            ["T1090.003", "T1078"]
        );
        assert_eq!(v.risk_event_types.len(), 27);
    }

    #[test]
    fn a_config_replaces_lists_and_refuses_unknown_names() {
        let mut v = Vocabulary::default();
        let table: toml::Table = r#"
            sign_ins = { legacy_clients = ["imap4"] }
            error_codes = { policy_block = [53003] }
        "#
        .parse()
        .unwrap();
        v.apply(&table, "case.toml").unwrap();
        assert_eq!(v.sign_ins.legacy_clients, ["imap4"]);
        assert_eq!(
            v.sign_ins.ropc_user_agents,
            Vocabulary::builtin().sign_ins.ropc_user_agents
        );
        assert!(!v.is_policy_block(Some(53000)));
        for (text, expected) in [
            ("colours = { x = [1] }", "case.toml: [vocabulary.colours] is not a vocabulary; there are: audit_activities"),
            ("sign_ins = { legacy = [] }", "case.toml: vocabulary.sign_ins has no list \"legacy\"; it has: anonymizing_risk_types"),
            ("error_codes = { policy_block = [\"x\"] }", "case.toml: [vocabulary]:"),
        ] {
            let table: toml::Table = text.parse().unwrap();
            let err = Vocabulary::default().apply(&table, "case.toml").unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}

//! The Graph vocabulary: which entities exist and which properties each one
//! has, the sign-in error codes, Graph timestamps ([`time`]), the
//! [`error::Error`] every layer of entrace returns, how attacker-controlled
//! text is shown safely ([`text`]), and the one severity scale ([`Severity`]).
//!
//! Every entity module declares its properties once, as a tree of [`Field`]s.
//! That one declaration drives the Parquet column builders, the column names,
//! the required-field checks and the `entrace schema` reference, so the writer
//! and the documentation can never disagree.
//!
//! Invariants: plain data only; no I/O; no dependency on the rest of entrace.

pub mod common;
pub mod directory_audit;
pub mod error;
pub mod error_codes;
#[doc(hidden)]
pub mod fuzz_checks;
pub mod risk_detection;
pub mod risky_user;
pub mod severity;
pub mod sign_in;
pub mod text;
pub mod time;

pub use severity::Severity;

use std::fmt;

/// A closed set of values written as their names (`sign_in`, `request_id`…)
/// in a table, and read back by name: link bases, identity bases,
/// severities. The table layer writes any `Labelled` type as text.
pub trait Labelled: Copy + 'static {
    /// Every value.
    const ALL: &'static [Self];
    /// The name written in the table.
    fn label(self) -> &'static str;
}

/// The type of one Graph property, as entrace stores it.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `Edm.String` or an open enum: stored as UTF-8 text, unknown members kept as sent.
    Str,
    /// `Edm.Int32`: stored as a 32-bit integer.
    Int32,
    /// `Edm.Double`: stored as a 64-bit float.
    Float64,
    /// `Edm.Boolean`.
    Bool,
    /// `Edm.DateTimeOffset`: stored as nanoseconds since the epoch, UTC.
    Timestamp,
    /// `Collection(Edm.String)` or a collection of enum members.
    StrList,
    /// An open object whose keys are not schematised: stored as compact JSON text.
    Json,
    /// A JSON-encoded string holding `[{"Key":…,"Value":…}]` (riskDetection
    /// `additionalInfo`): stored as sent plus a parsed `_parsed` list of key/value structs.
    KeyValueJsonString,
    /// A complex type: its properties become columns of their own, joined with `_`.
    Object(&'static [Field]),
    /// A collection of a complex type: a list of structs.
    ObjectList(&'static [Field]),
}

/// One Graph property: its JSON name, its type and a short description.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The property name exactly as Graph writes it (camelCase).
    pub name: &'static str,
    /// How the value is typed and stored.
    pub kind: Kind,
    /// One line for `entrace schema`.
    pub doc: &'static str,
}

/// Shorthand used by the entity tables below.
pub(crate) const fn f(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field { name, kind, doc }
}

/// The entities entrace turns into tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// `/auditLogs/signIns` (v1.0 and beta).
    SignIn,
    /// `/auditLogs/directoryAudits`.
    DirectoryAudit,
    /// `/identityProtection/riskDetections`.
    RiskDetection,
    /// `/identityProtection/riskyUsers`.
    RiskyUser,
    /// `/identityProtection/riskyUsers/{id}/history`.
    RiskyUserHistory,
}

/// What a table needs to know about its entity beyond the property list.
#[derive(Debug)]
pub struct EntitySpec {
    /// The entity.
    pub kind: EntityKind,
    /// Output table name (`signins`, …), also the Parquet file stem.
    pub table: &'static str,
    /// Graph's name for the entity type, as in `@odata.type`.
    pub graph_type: &'static str,
    /// The properties, in column order.
    pub fields: &'static [Field],
    /// Properties that give the event time, first present wins. A record whose
    /// time is present in none of them (or is unparseable) is rejected, unless the
    /// list is empty.
    pub time_fields: &'static [&'static str],
    /// Property that says when the record was last updated: the newest copy of a
    /// duplicated id wins. `None` means the first copy in stable order wins.
    pub updated_field: Option<&'static str>,
}

impl EntityKind {
    /// Every entity, in table order.
    pub const ALL: [EntityKind; 5] = [
        EntityKind::SignIn,
        EntityKind::DirectoryAudit,
        EntityKind::RiskDetection,
        EntityKind::RiskyUser,
        EntityKind::RiskyUserHistory,
    ];

    /// The static description of this entity.
    pub fn spec(self) -> &'static EntitySpec {
        match self {
            EntityKind::SignIn => &sign_in::SPEC,
            EntityKind::DirectoryAudit => &directory_audit::SPEC,
            EntityKind::RiskDetection => &risk_detection::SPEC,
            EntityKind::RiskyUser => &risky_user::SPEC,
            EntityKind::RiskyUserHistory => &risky_user::HISTORY_SPEC,
        }
    }

    /// Stable snake_case name used in manifests, rejects and messages.
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::SignIn => "sign_in",
            EntityKind::DirectoryAudit => "directory_audit",
            EntityKind::RiskDetection => "risk_detection",
            EntityKind::RiskyUser => "risky_user",
            EntityKind::RiskyUserHistory => "risky_user_history",
        }
    }

    /// Position in [`EntityKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Graph property path → column name: camelCase to snake_case, nested parts
/// joined with `_` (`status` + `errorCode` → `status_error_code`,
/// `riskEventTypes_v2` → `risk_event_types_v2`).
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut prev_lower_or_digit = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower_or_digit {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower_or_digit = false;
        } else if c == '_' || c == '.' || c == '@' {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower_or_digit = false;
        } else {
            out.push(c);
            prev_lower_or_digit = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

impl Labelled for EntityKind {
    const ALL: &'static [Self] = &EntityKind::ALL;
    fn label(self) -> &'static str {
        self.name()
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_follows_the_naming_rule() {
        assert_eq!(snake_case("createdDateTime"), "created_date_time");
        assert_eq!(snake_case("riskEventTypes_v2"), "risk_event_types_v2");
        assert_eq!(snake_case("ipAddress"), "ip_address");
        assert_eq!(snake_case("isCompliant"), "is_compliant");
        assert_eq!(
            snake_case("riskLevelDuringSignIn"),
            "risk_level_during_sign_in"
        );
        assert_eq!(snake_case("id"), "id");
    }
}

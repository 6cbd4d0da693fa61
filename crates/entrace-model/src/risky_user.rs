//! `riskyUser` and `riskyUserHistoryItem` (docs/research/graph.md §1.3, §1.4).

use super::{f, EntityKind, EntitySpec, Field, Kind::*};

/// riskyUser properties in column order.
pub const FIELDS: &[Field] = &[
    f("id", Str, "User object id"),
    f(
        "riskLastUpdatedDateTime",
        Timestamp,
        "Last risk state change",
    ),
    f("userPrincipalName", Str, "UPN at last update"),
    f("userDisplayName", Str, "Display name"),
    f("riskLevel", Str, "Aggregated user risk level"),
    f("riskState", Str, "Current risk state"),
    f("riskDetail", Str, "Reason for the current state"),
    f("isDeleted", Bool, "User deleted"),
    f("isProcessing", Bool, "Risk state still being processed"),
    f("isGuest", Bool, "Legacy beta property"),
];

const ACTIVITY: &[Field] = &[
    f("detail", Str, "Risk detail of the step"),
    f("riskEventTypes", StrList, "Risk event types (v1.0)"),
    f("eventTypes", StrList, "Risk event types (older beta)"),
];

/// riskyUserHistoryItem properties in column order.
pub const HISTORY_FIELDS: &[Field] = &[
    f("id", Str, "History item id (user id, or user id + suffix)"),
    f(
        "riskLastUpdatedDateTime",
        Timestamp,
        "When this state was set",
    ),
    f("userId", Str, "User object id"),
    f("userPrincipalName", Str, "UPN"),
    f("userDisplayName", Str, "Display name"),
    f("riskLevel", Str, "Risk level"),
    f("riskState", Str, "Risk state"),
    f("riskDetail", Str, "Risk detail"),
    f(
        "initiatedBy",
        Str,
        "Object id of the actor, null for system detections",
    ),
    f("activity", Object(ACTIVITY), "What changed the state"),
    f("isDeleted", Bool, "User deleted"),
    f("isProcessing", Bool, "Risk state still being processed"),
    f("isGuest", Bool, "Legacy beta property"),
];

/// The riskyUser entity.
pub static SPEC: EntitySpec = EntitySpec {
    kind: EntityKind::RiskyUser,
    table: "risky_users",
    graph_type: "riskyUser",
    fields: FIELDS,
    time_fields: &[],
    updated_field: Some("riskLastUpdatedDateTime"),
};

/// The riskyUserHistoryItem entity.
pub static HISTORY_SPEC: EntitySpec = EntitySpec {
    kind: EntityKind::RiskyUserHistory,
    table: "risky_user_history",
    graph_type: "riskyUserHistoryItem",
    fields: HISTORY_FIELDS,
    time_fields: &[],
    updated_field: Some("riskLastUpdatedDateTime"),
};

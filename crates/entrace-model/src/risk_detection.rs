//! `riskDetection` (`/identityProtection/riskDetections`, docs/research/graph.md §1.5).

use super::common::LOCATION;
use super::{f, EntityKind, EntitySpec, Field, Kind::*};

/// riskDetection properties in column order.
pub const FIELDS: &[Field] = &[
    f("id", Str, "Detection id"),
    f(
        "activityDateTime",
        Timestamp,
        "When the risky activity happened",
    ),
    f(
        "detectedDateTime",
        Timestamp,
        "When Identity Protection raised it",
    ),
    f("lastUpdatedDateTime", Timestamp, "Last state change"),
    f("userId", Str, "User object id"),
    f("userPrincipalName", Str, "UPN at detection time"),
    f("userDisplayName", Str, "Display name"),
    f(
        "riskEventType",
        Str,
        "anonymizedIPAddress, unlikelyTravel, … (open list)",
    ),
    f(
        "riskType",
        Str,
        "Deprecated enum twin of riskEventType (beta)",
    ),
    f("riskLevel", Str, "low, medium, high, hidden"),
    f("riskState", Str, "atRisk, dismissed, remediated, …"),
    f("riskDetail", Str, "Reason for the state"),
    f("source", Str, "IdentityProtection, …"),
    f(
        "detectionTimingType",
        Str,
        "realtime, nearRealtime, offline",
    ),
    f("activity", Str, "signin, user, servicePrincipal"),
    f("tokenIssuerType", Str, "AzureAD, …"),
    f("ipAddress", Str, "IP address of the activity"),
    f("location", Object(LOCATION), "Location of the IP address"),
    f("requestId", Str, "Sign-in id this detection belongs to"),
    f("correlationId", Str, "Sign-in correlation id"),
    f("mitreTechniqueId", Str, "MITRE technique (beta)"),
    f(
        "additionalInfo",
        KeyValueJsonString,
        "JSON-encoded [{Key, Value}] details (userAgent, mitreTechniques, …)",
    ),
];

/// The riskDetection entity.
pub static SPEC: EntitySpec = EntitySpec {
    kind: EntityKind::RiskDetection,
    table: "risk_detections",
    graph_type: "riskDetection",
    fields: FIELDS,
    time_fields: &["activityDateTime", "detectedDateTime"],
    updated_field: Some("lastUpdatedDateTime"),
};

//! `directoryAudit` (`/auditLogs/directoryAudits`, docs/research/graph.md §1.2).

use super::common::{KEY_VALUE, MODIFIED_PROPERTY};
use super::{f, EntityKind, EntitySpec, Field, Kind::*};

const USER_IDENTITY: &[Field] = &[
    f("id", Str, "User object id"),
    f("displayName", Str, "Display name"),
    f("userPrincipalName", Str, "UPN"),
    f("ipAddress", Str, "IP address"),
    f("userType", Str, "User type (open-type key in v1.0)"),
    f("homeTenantId", Str, "Home tenant id"),
    f("homeTenantName", Str, "Home tenant name"),
];

const APP_IDENTITY: &[Field] = &[
    f("appId", Str, "Application id"),
    f("displayName", Str, "Application name"),
    f("servicePrincipalId", Str, "Service principal id"),
    f("servicePrincipalName", Str, "Service principal name"),
];

const TOKEN_DETAILS: &[Field] = &[
    f("issuedAtDateTime", Timestamp, "Token issue time"),
    f("uniqueTokenIdentifier", Str, "Unique token identifier"),
];

const LINKABLE_IDENTIFIERS: &[Field] = &[
    f("deviceId", Str, "Device id"),
    f("sessionId", Str, "Session id (joins signIn.sessionId)"),
    f("tokenDetails", Object(TOKEN_DETAILS), "Token details"),
];

const INITIATED_BY: &[Field] = &[
    f("user", Object(USER_IDENTITY), "User who acted"),
    f("app", Object(APP_IDENTITY), "App that acted"),
    f(
        "linkableIdentifiers",
        Object(LINKABLE_IDENTIFIERS),
        "Session and token of the actor (beta)",
    ),
];

const PERFORMED_BY: &[Field] = &[
    f("appId", Str, "Application id"),
    f("blueprintId", Str, "Agent blueprint id"),
    f("identityType", Str, "agent or servicePrincipal"),
];

const TARGET_RESOURCE: &[Field] = &[
    f("id", Str, "Target object id"),
    f("displayName", Str, "Target name"),
    f("type", Str, "User, Group, Role, Application, …"),
    f("userPrincipalName", Str, "UPN when the target is a user"),
    f("groupType", Str, "Group type"),
    f(
        "modifiedProperties",
        ObjectList(MODIFIED_PROPERTY),
        "Changed properties",
    ),
];

/// directoryAudit properties in column order.
pub const FIELDS: &[Field] = &[
    f("id", Str, "Audit record id (service-prefixed, opaque)"),
    f(
        "activityDateTime",
        Timestamp,
        "When the activity happened (UTC)",
    ),
    f(
        "activityDisplayName",
        Str,
        "Operation name, e.g. \"Reset password (self-service)\"",
    ),
    f("category", Str, "UserManagement, RoleManagement, …"),
    f(
        "correlationId",
        Str,
        "Groups the records of one operation (e.g. an SSPR flow)",
    ),
    f(
        "loggedByService",
        Str,
        "Core Directory, Self-service Password Management, …",
    ),
    f("operationType", Str, "Add, Update, Delete, …"),
    f("result", Str, "success, failure, timeout"),
    f("resultReason", Str, "Reason text"),
    f("initiatedBy", Object(INITIATED_BY), "Who acted"),
    f(
        "performedBy",
        Object(PERFORMED_BY),
        "Agent or service principal that acted (beta)",
    ),
    f(
        "targetResources",
        ObjectList(TARGET_RESOURCE),
        "Objects acted on",
    ),
    f(
        "additionalDetails",
        ObjectList(KEY_VALUE),
        "Free key/value details",
    ),
    f("userAgent", Str, "User agent (beta)"),
];

/// The directoryAudit entity.
pub static SPEC: EntitySpec = EntitySpec {
    kind: EntityKind::DirectoryAudit,
    table: "directory_audits",
    graph_type: "directoryAudit",
    fields: FIELDS,
    time_fields: &["activityDateTime"],
    updated_field: None,
};

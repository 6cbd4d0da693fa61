//! Which entity a page or a record is: from `@odata.context` when the page has
//! one, else from `@odata.type`, else from the record's own keys.

use crate::json::Value;

use entrace_model::EntityKind;

/// What a page's `@odata.context` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextKind {
    /// One of the tabled entities.
    Known(EntityKind),
    /// A Graph collection entrace does not table (e.g. servicePrincipalRiskDetections).
    Other,
}

/// Entity named by an `@odata.context` URL (case-insensitive).
pub fn from_context(context: &str) -> ContextKind {
    let c = context.to_ascii_lowercase();
    let fragment = c.rsplit_once('#').map_or(c.as_str(), |(_, f)| f);
    let known = if fragment.contains("auditlogs/signins") {
        Some(EntityKind::SignIn)
    } else if fragment.contains("auditlogs/directoryaudits") {
        Some(EntityKind::DirectoryAudit)
    } else if fragment.contains("serviceprincipal") {
        None
    } else if fragment.contains("riskdetections") {
        Some(EntityKind::RiskDetection)
    } else if fragment.contains("riskyusers") && fragment.contains("/history") {
        Some(EntityKind::RiskyUserHistory)
    } else if fragment.contains("riskyusers") {
        Some(EntityKind::RiskyUser)
    } else {
        None
    };
    known.map_or(ContextKind::Other, ContextKind::Known)
}

/// `v1.0` or `beta` from an `@odata.context` URL.
pub fn api_version(context: &str) -> Option<&'static str> {
    let c = context.to_ascii_lowercase();
    if c.contains("/v1.0/") {
        Some("v1.0")
    } else if c.contains("/beta/") {
        Some("beta")
    } else {
        None
    }
}

/// The keys [`from_record`] decides by.
const SIGNATURE_KEYS: [&str; 19] = [
    "riskEventType",
    "riskType",
    "servicePrincipalId",
    "keyIds",
    "servicePrincipalDisplayName",
    "createdDateTime",
    "userId",
    "appId",
    "status",
    "ipAddress",
    "activityDisplayName",
    "activityDateTime",
    "initiatedBy",
    "loggedByService",
    "riskLastUpdatedDateTime",
    "riskState",
    "riskLevel",
    "servicePrincipalType",
    "activity",
];

/// Entity of a record without page context: `@odata.type` first, then the
/// signature keys of each entity (docs/research/graph.md §1).
pub fn from_record(record: Value<'_, '_>) -> Option<EntityKind> {
    // One walk over the record's keys, noting the signature keys it has.
    let mut found: u32 = 0;
    let mut odata_type = None;
    for (key, value) in record.as_object()?.iter() {
        if key == "@odata.type" {
            odata_type = odata_type.or(crate::json::str_of(value));
        } else if let Some(i) = SIGNATURE_KEYS.iter().position(|k| *k == key) {
            found |= 1 << i;
        }
    }
    if let Some(t) = odata_type {
        let t = t
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.");
        return match t {
            "signIn" => Some(EntityKind::SignIn),
            "directoryAudit" => Some(EntityKind::DirectoryAudit),
            "riskDetection" => Some(EntityKind::RiskDetection),
            "riskyUser" => Some(EntityKind::RiskyUser),
            "riskyUserHistoryItem" => Some(EntityKind::RiskyUserHistory),
            _ => None,
        };
    }
    let has = |k: &str| {
        SIGNATURE_KEYS
            .iter()
            .position(|s| *s == k)
            .is_some_and(|i| found & (1 << i) != 0)
    };
    if has("riskEventType") || has("riskType") {
        let service_principal =
            has("servicePrincipalId") || has("keyIds") || has("servicePrincipalDisplayName");
        return (!service_principal).then_some(EntityKind::RiskDetection);
    }
    if has("createdDateTime")
        && (has("userId") || has("appId") || has("status") || has("ipAddress"))
    {
        return Some(EntityKind::SignIn);
    }
    if has("activityDisplayName")
        || (has("activityDateTime") && (has("initiatedBy") || has("loggedByService")))
    {
        return Some(EntityKind::DirectoryAudit);
    }
    if has("riskLastUpdatedDateTime") || (has("riskState") && has("riskLevel")) {
        if has("servicePrincipalType") || has("appId") {
            return None;
        }
        if has("userId") && (has("activity") || has("initiatedBy")) {
            return Some(EntityKind::RiskyUserHistory);
        }
        return Some(EntityKind::RiskyUser);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_of_every_collection() {
        let k = |c| from_context(c);
        assert_eq!(
            k("https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns"),
            ContextKind::Known(EntityKind::SignIn)
        );
        assert_eq!(
            k("https://graph.microsoft.com/beta/$metadata#auditLogs/signIns(id,createdDateTime)"),
            ContextKind::Known(EntityKind::SignIn)
        );
        assert_eq!(
            k("https://graph.microsoft.com/v1.0/$metadata#auditlogs/directoryaudits"),
            ContextKind::Known(EntityKind::DirectoryAudit)
        );
        assert_eq!(
            k("https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskDetections"),
            ContextKind::Known(EntityKind::RiskDetection)
        );
        assert_eq!(
            k("https://graph.microsoft.com/beta/$metadata#riskyUsers('41a3')/history"),
            ContextKind::Known(EntityKind::RiskyUserHistory)
        );
        assert_eq!(
            k("https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskyUsers"),
            ContextKind::Known(EntityKind::RiskyUser)
        );
        assert_eq!(k("https://graph.microsoft.com/v1.0/$metadata#identityProtection/servicePrincipalRiskDetections"), ContextKind::Other);
        assert_eq!(
            api_version("https://graph.microsoft.com/beta/$metadata#x"),
            Some("beta")
        );
    }

    #[test]
    fn records_by_their_keys() {
        let mut sign_in =
            br#"{"id":"1","createdDateTime":"2025-03-17T17:54:30Z","userId":"u"}"#.to_vec();
        let v = simd_json::to_tape(&mut sign_in).unwrap();
        assert_eq!(from_record(v.as_value()), Some(EntityKind::SignIn));
        let mut hist =
            br#"{"id":"1","userId":"u","riskState":"atRisk","riskLevel":"low","activity":{}}"#
                .to_vec();
        let v = simd_json::to_tape(&mut hist).unwrap();
        assert_eq!(
            from_record(v.as_value()),
            Some(EntityKind::RiskyUserHistory)
        );
        let mut sp = br#"{"id":"1","riskEventType":"x","servicePrincipalId":"s"}"#.to_vec();
        let v = simd_json::to_tape(&mut sp).unwrap();
        assert_eq!(from_record(v.as_value()), None);
    }
}

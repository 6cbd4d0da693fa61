//! The records stage 2 works on, as entrace's table layer loads them from
//! the stage 1 Parquet tables (`entrace::table::case`), or a test builds
//! them in memory.
//!
//! Each struct holds only the columns the analysis uses. Ids are compared
//! case-insensitively everywhere, so they are lower-cased once, by
//! [`norm_id`]; the zero GUID and empty strings (Graph's "no user") become
//! `None`.

/// One sign-in (`signins.parquet`).
#[derive(Debug, Clone, Default)]
pub struct SignIn {
    /// `id` (the request id risk detections point to).
    pub id: String,
    /// `createdDateTime`, UTC ns.
    pub time: i64,
    /// `userId`, lower-cased.
    pub user_id: Option<String>,
    /// `userPrincipalName` as sent.
    pub upn: Option<String>,
    /// `userDisplayName`.
    pub display_name: Option<String>,
    /// `appDisplayName`.
    pub app: Option<String>,
    /// `ipAddress`.
    pub ip: Option<String>,
    /// `location.city`.
    pub city: Option<String>,
    /// `location.countryOrRegion`.
    pub country: Option<String>,
    /// `clientAppUsed`.
    pub client_app_used: Option<String>,
    /// `deviceDetail.browser`.
    pub browser: Option<String>,
    /// `deviceDetail.operatingSystem`.
    pub os: Option<String>,
    /// `status.errorCode`.
    pub error_code: Option<i32>,
    /// `status.failureReason` (localised; shown, never matched).
    pub failure_reason: Option<String>,
    /// `status.additionalDetails`.
    pub additional_details: Option<String>,
    /// `correlationId`, lower-cased.
    pub correlation_id: Option<String>,
    /// `sessionId` (beta), lower-cased.
    pub session_id: Option<String>,
    /// `riskLevelDuringSignIn`.
    pub risk_level: Option<String>,
    /// `riskState`.
    pub risk_state: Option<String>,
    /// `appId`.
    pub app_id: Option<String>,
    /// `userAgent` (beta; attacker-controlled).
    pub user_agent: Option<String>,
    /// `autonomousSystemNumber` (beta).
    pub asn: Option<i32>,
    /// `location.state`.
    pub state: Option<String>,
    /// `location.geoCoordinates.latitude`.
    pub latitude: Option<f64>,
    /// `location.geoCoordinates.longitude`.
    pub longitude: Option<f64>,
    /// `isInteractive` (beta, and inferred false for `nonInteractiveUser` event types).
    pub is_interactive: Option<bool>,
    /// `riskEventTypes_v2` and `riskEventTypes`, merged, distinct.
    pub risk_event_types: Vec<String>,
    /// `authenticationProtocol` (beta).
    pub authentication_protocol: Option<String>,
    /// `originalTransferMethod` (beta).
    pub original_transfer_method: Option<String>,
    /// `crossTenantAccessType` (beta).
    pub cross_tenant_access_type: Option<String>,
    /// `homeTenantId` (beta), lower-cased.
    pub home_tenant_id: Option<String>,
    /// `resourceTenantId`, lower-cased.
    pub resource_tenant_id: Option<String>,
    /// Display names of the Conditional Access policies whose `result` is `failure`.
    pub ca_policies_failed: Vec<String>,
    /// `ingest_api_version` (`v1.0`, `beta`, or null when the file had no context).
    pub api_version: Option<String>,
}

/// One `User`-typed (or other) target of a directory audit.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `id`, lower-cased.
    pub id: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `type` (`User`, `Group`, `Role`, …).
    pub kind: Option<String>,
    /// `userPrincipalName`.
    pub upn: Option<String>,
    /// `modifiedProperties` as (name, old value, new value).
    pub modified: Vec<(Option<String>, Option<String>, Option<String>)>,
}

impl Target {
    /// Whether the target is a user (`type` equals `User`, any case).
    pub fn is_user(&self) -> bool {
        self.kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("user"))
    }
}

/// One directory audit (`directory_audits.parquet`).
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// `id`.
    pub id: String,
    /// `activityDateTime`, UTC ns.
    pub time: i64,
    /// `activityDisplayName`.
    pub activity: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `correlationId`, lower-cased.
    pub correlation_id: Option<String>,
    /// `loggedByService`.
    pub service: Option<String>,
    /// `result`.
    pub result: Option<String>,
    /// `resultReason`.
    pub result_reason: Option<String>,
    /// `initiatedBy.user.id`, lower-cased.
    pub actor_id: Option<String>,
    /// `initiatedBy.user.userPrincipalName`.
    pub actor_upn: Option<String>,
    /// `initiatedBy.user.ipAddress`.
    pub actor_ip: Option<String>,
    /// `initiatedBy.app.displayName`.
    pub actor_app: Option<String>,
    /// `targetResources`.
    pub targets: Vec<Target>,
}

/// One risk detection (`risk_detections.parquet`).
#[derive(Debug, Clone, Default)]
pub struct RiskDetection {
    /// `id`.
    pub id: String,
    /// `activityDateTime` (when the risky activity happened), UTC ns.
    pub time: i64,
    /// `userId`, lower-cased.
    pub user_id: Option<String>,
    /// `userPrincipalName`.
    pub upn: Option<String>,
    /// `riskEventType`.
    pub event_type: Option<String>,
    /// `riskLevel`.
    pub risk_level: Option<String>,
    /// `riskState`.
    pub risk_state: Option<String>,
    /// `riskDetail`.
    pub risk_detail: Option<String>,
    /// `detectionTimingType`.
    pub timing: Option<String>,
    /// `ipAddress`.
    pub ip: Option<String>,
    /// `location.city`.
    pub city: Option<String>,
    /// `location.countryOrRegion`.
    pub country: Option<String>,
    /// `requestId` (= the sign-in's `id`), lower-cased.
    pub request_id: Option<String>,
    /// `correlationId`, lower-cased.
    pub correlation_id: Option<String>,
    /// `source`.
    pub source: Option<String>,
    /// MITRE technique ids from `additionalInfo.mitreTechniques` or beta `mitreTechniqueId`.
    pub mitre: Vec<String>,
}

/// One risky user (`risky_users.parquet`): the state at export time.
#[derive(Debug, Clone, Default)]
pub struct RiskyUser {
    /// `id` (= the user's object id), lower-cased.
    pub id: String,
    /// `riskLastUpdatedDateTime`, UTC ns.
    pub time: i64,
    /// `userPrincipalName`.
    pub upn: Option<String>,
    /// `riskLevel`.
    pub risk_level: Option<String>,
    /// `riskState`.
    pub risk_state: Option<String>,
    /// `riskDetail`.
    pub risk_detail: Option<String>,
}

/// One risky user history item (`risky_user_history.parquet`).
#[derive(Debug, Clone, Default)]
pub struct HistoryItem {
    /// `id`.
    pub id: String,
    /// `riskLastUpdatedDateTime`, UTC ns.
    pub time: i64,
    /// `userId`, lower-cased.
    pub user_id: Option<String>,
    /// `userPrincipalName`.
    pub upn: Option<String>,
    /// `riskLevel`.
    pub risk_level: Option<String>,
    /// `riskState`.
    pub risk_state: Option<String>,
    /// `riskDetail`.
    pub risk_detail: Option<String>,
    /// `initiatedBy` (object id of the actor).
    pub initiated_by: Option<String>,
    /// `activity.riskEventTypes` and `activity.eventTypes`, in that order.
    pub event_types: Vec<String>,
}

/// Every record of one output directory.
#[derive(Debug, Default)]
pub struct Tables {
    /// Sign-ins.
    pub sign_ins: Vec<SignIn>,
    /// Directory audits.
    pub audits: Vec<Audit>,
    /// Risk detections.
    pub detections: Vec<RiskDetection>,
    /// Risky users.
    pub risky_users: Vec<RiskyUser>,
    /// Risky user history.
    pub history: Vec<HistoryItem>,
}

/// The zero GUID Graph writes for "no user".
const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// Lower-cases an id; empty and zero-GUID ids become `None`.
pub fn norm_id(id: Option<String>) -> Option<String> {
    let id = id?;
    let t = id.trim();
    (!t.is_empty() && t != ZERO_GUID).then(|| t.to_ascii_lowercase())
}

//! The Graph records the generator writes, as serde structs whose field names
//! and order follow Microsoft Graph (and the fixtures in `testdata/`).
//!
//! Invariants: a field that Graph returns as `null` serialises as `null`;
//! beta-only sign-in fields are `Option`s skipped when absent, so one struct
//! gives both the v1.0 and the beta shape. Not here: deciding values.

use serde::Serialize;

/// `signIn` (v1.0 and beta).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignIn<'a> {
    pub id: String,
    pub created_date_time: String,
    pub user_display_name: &'a str,
    pub user_principal_name: &'a str,
    pub user_id: &'a str,
    pub app_id: &'static str,
    pub app_display_name: &'static str,
    pub ip_address: &'a str,
    pub client_app_used: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<&'static str>,
    pub correlation_id: String,
    pub conditional_access_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_request_id: Option<String>,
    pub is_interactive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_time_in_milliseconds: Option<u32>,
    pub risk_detail: &'static str,
    pub risk_level_aggregated: &'static str,
    pub risk_level_during_sign_in: &'static str,
    pub risk_state: &'static str,
    /// v1.0 only (deprecated, gone from current beta metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_event_types: Option<Vec<&'static str>>,
    #[serde(rename = "riskEventTypes_v2")]
    pub risk_event_types_v2: Vec<&'static str>,
    pub resource_display_name: &'static str,
    pub resource_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_tenant_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_tenant_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_requirement: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_identifier: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_event_types: Option<[&'static str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<&'static str>,
    /// `Some(())` writes `null` (beta prints the key with a null value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_tenant_access_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_transfer_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_token_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autonomous_system_number: Option<u32>,
    pub status: Status,
    pub device_detail: DeviceDetail<'a>,
    pub location: Location<GeoWithAltitude>,
    pub applied_conditional_access_policies: Vec<CaPolicy<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_details: Option<[AuthDetail; 1]>,
}

/// `signInStatus`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Status {
    pub error_code: u32,
    pub failure_reason: String,
    pub additional_details: Option<&'static str>,
}

/// `deviceDetail`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeviceDetail<'a> {
    pub device_id: &'a str,
    pub display_name: &'a str,
    pub operating_system: &'static str,
    pub browser: &'static str,
    pub is_compliant: bool,
    pub is_managed: bool,
    pub trust_type: &'static str,
}

/// `signInLocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location<G> {
    pub city: &'static str,
    pub state: &'static str,
    pub country_or_region: &'static str,
    pub geo_coordinates: G,
}

/// `geoCoordinates` as sign-ins print it (`altitude: null`).
#[derive(Debug, Serialize)]
pub(crate) struct GeoWithAltitude {
    pub altitude: Option<f64>,
    pub latitude: f64,
    pub longitude: f64,
}

/// `geoCoordinates` as risk detections print it (no altitude).
#[derive(Debug, Serialize)]
pub(crate) struct Geo {
    pub latitude: f64,
    pub longitude: f64,
}

/// `appliedConditionalAccessPolicy` (v1.0 subset).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaPolicy<'a> {
    pub id: &'a str,
    pub display_name: &'static str,
    pub enforced_grant_controls: [&'static str; 1],
    pub enforced_session_controls: [&'static str; 0],
    pub result: &'static str,
}

/// `authenticationDetail` (beta).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthDetail {
    pub authentication_step_date_time: String,
    pub authentication_method: &'static str,
    pub authentication_method_detail: Option<&'static str>,
    pub succeeded: bool,
    pub authentication_step_result_detail: &'static str,
    pub authentication_step_requirement: &'static str,
}

/// `directoryAudit`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Audit {
    pub id: String,
    pub category: &'static str,
    pub correlation_id: String,
    pub result: &'static str,
    pub result_reason: String,
    pub activity_display_name: &'static str,
    pub activity_date_time: String,
    pub logged_by_service: &'static str,
    pub operation_type: &'static str,
    pub initiated_by: Initiator,
    pub target_resources: Vec<Target>,
    pub additional_details: Vec<KeyValue>,
}

/// `auditActivityInitiator`: exactly one of `app` and `user` is set.
#[derive(Debug, Serialize)]
pub(crate) struct Initiator {
    pub app: Option<AppIdentity>,
    pub user: Option<UserIdentity>,
}

/// `userIdentity` with the open-type keys v1.0 responses carry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserIdentity {
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: String,
    pub ip_address: String,
    pub user_type: Option<()>,
    pub home_tenant_id: Option<()>,
    pub home_tenant_name: Option<()>,
}

/// `appIdentity`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppIdentity {
    pub app_id: Option<&'static str>,
    pub display_name: &'static str,
    pub service_principal_id: String,
    pub service_principal_name: Option<()>,
}

/// `targetResource`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Target {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub user_principal_name: Option<String>,
    pub group_type: Option<()>,
    pub modified_properties: Vec<ModifiedProperty>,
}

/// `modifiedProperty`: old and new values are strings that usually hold JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModifiedProperty {
    pub display_name: &'static str,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// `keyValue`.
#[derive(Debug, Serialize)]
pub(crate) struct KeyValue {
    pub key: &'static str,
    pub value: &'static str,
}

/// `riskDetection`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RiskDetection<'a> {
    pub id: String,
    pub request_id: String,
    pub correlation_id: String,
    pub risk_event_type: &'static str,
    pub risk_state: &'static str,
    pub risk_level: &'static str,
    pub risk_detail: &'static str,
    pub source: &'static str,
    pub detection_timing_type: &'static str,
    pub activity: &'static str,
    pub token_issuer_type: &'static str,
    pub ip_address: &'a str,
    pub activity_date_time: String,
    pub detected_date_time: String,
    pub last_updated_date_time: String,
    pub user_id: &'a str,
    pub user_display_name: &'a str,
    pub user_principal_name: &'a str,
    /// A JSON string, not an object.
    pub additional_info: String,
    pub location: Location<Geo>,
}

/// `riskyUser`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RiskyUser<'a> {
    pub id: &'a str,
    pub is_deleted: bool,
    pub is_processing: bool,
    pub risk_level: &'static str,
    pub risk_state: &'static str,
    pub risk_detail: &'static str,
    pub risk_last_updated_date_time: String,
    pub user_display_name: &'a str,
    pub user_principal_name: &'a str,
}

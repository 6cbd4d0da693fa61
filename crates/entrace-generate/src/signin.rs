//! Builds sign-in records: interactive v1.0 records (whole-second times) and
//! beta non-interactive token refreshes (7 fractional digits, beta fields).
//!
//! Invariants: status texts are the ones real exports and the fixtures show;
//! v1.0 records carry no conditional access detail (like the seed exports),
//! beta ones the tenant's MFA policy; nothing here is random (the caller
//! passes ids and times).

use super::catalog::{App, OFFICES};
use super::clock;
use super::records::{
    AuthDetail, CaPolicy, DeviceDetail, GeoWithAltitude, Location, SignIn, Status,
};
use super::tenant::{Device, Tenant, User};

/// Where a sign-in comes from: an egress IP and the office city it geolocates to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'t> {
    /// `ipAddress`.
    pub ip: &'t str,
    /// Index in `OFFICES` (the city the IP geolocates to).
    pub office: usize,
    /// Beta `autonomousSystemNumber`.
    pub asn: u32,
}

/// The result of one interactive sign-in record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// errorCode 0; `mfa` says the user just completed MFA.
    Success {
        /// "MFA completed in Azure AD" rather than "satisfied by claim in the token".
        mfa: bool,
    },
    /// 50140, the "Keep me signed in" interrupt.
    KeepMeSignedIn,
    /// 50074 or 50076: MFA required, then done in the same flow.
    MfaRequired(u32),
    /// 50126: a mistyped password.
    BadPassword,
}

/// Risk fields of a sign-in Identity Protection flagged (final state at export).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flag {
    /// `riskState`: `dismissed` or `remediated`.
    pub state: &'static str,
    /// `riskDetail`.
    pub detail: &'static str,
}

/// The risk event type of every generated detection.
pub(crate) const UNFAMILIAR: &str = "unfamiliarFeatures";

const KMSI_DETAIL: &str = "This is an expected part of the login flow, where a user is asked if they want to remain signed into this browser to make further logins easier. For more details, see https://techcommunity.microsoft.com/t5/Azure-Active-Directory/The-new-Azure-AD-sign-in-and-Keep-me-signed-in-experiences/td-p/128267";
const BAD_PASSWORD_DETAIL: &str = "The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.";

fn status(outcome: Outcome, app: &App) -> Status {
    let (error_code, failure_reason, details) = match outcome {
        Outcome::Success { mfa: false } => {
            (0, "Other.".into(), "MFA requirement satisfied by claim in the token")
        }
        Outcome::Success { mfa: true } => (0, "Other.".into(), "MFA completed in Azure AD"),
        Outcome::KeepMeSignedIn => (
            50140,
            "This error occurred due to 'Keep me signed in' interrupt when the user was signing in."
                .into(),
            KMSI_DETAIL,
        ),
        Outcome::MfaRequired(50076) => (
            50076,
            format!(
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{}'.",
                app.resource_id
            ),
            "MFA required in Azure AD",
        ),
        Outcome::MfaRequired(code) => {
            (code, "Strong Authentication is required.".into(), "MFA required in Azure AD")
        }
        Outcome::BadPassword => (
            50126,
            "Error validating credentials due to invalid username or password.".into(),
            BAD_PASSWORD_DETAIL,
        ),
    };
    Status {
        error_code,
        failure_reason,
        additional_details: Some(details),
    }
}

fn location(office: usize) -> Location<GeoWithAltitude> {
    let o = &OFFICES[office];
    Location {
        city: o.city,
        state: o.state,
        country_or_region: o.country,
        geo_coordinates: GeoWithAltitude {
            altitude: None,
            latitude: o.lat,
            longitude: o.lon,
        },
    }
}

fn device_detail(d: &Device) -> DeviceDetail<'_> {
    DeviceDetail {
        device_id: &d.id,
        display_name: &d.name,
        operating_system: d.model.os,
        browser: d.model.browser,
        is_compliant: true,
        is_managed: true,
        trust_type: d.model.trust,
    }
}

fn mfa_policy(t: &Tenant) -> CaPolicy<'_> {
    CaPolicy {
        id: &t.mfa_policy,
        display_name: "Require MFA for all users",
        enforced_grant_controls: ["Mfa"],
        enforced_session_controls: [],
        result: "success",
    }
}

/// The fields every sign-in shares; the caller fills in the version specifics.
fn base<'t>(
    user: &'t User,
    place: Place<'t>,
    app: &'static App,
    device: &'t Device,
    id: String,
    correlation_id: String,
) -> SignIn<'t> {
    SignIn {
        id,
        created_date_time: String::new(),
        user_display_name: &user.display,
        user_principal_name: &user.upn,
        user_id: &user.id,
        app_id: app.id,
        app_display_name: app.name,
        ip_address: place.ip,
        client_app_used: app.client(),
        user_agent: None,
        correlation_id,
        conditional_access_status: "success",
        original_request_id: None,
        is_interactive: true,
        token_issuer_name: None,
        token_issuer_type: None,
        processing_time_in_milliseconds: None,
        risk_detail: "none",
        risk_level_aggregated: "none",
        risk_level_during_sign_in: "none",
        risk_state: "none",
        risk_event_types: None,
        risk_event_types_v2: Vec::new(),
        resource_display_name: app.resource,
        resource_id: app.resource_id,
        resource_tenant_id: None,
        home_tenant_id: None,
        authentication_requirement: None,
        sign_in_identifier: None,
        sign_in_event_types: None,
        service_principal_id: None,
        service_principal_name: None,
        user_type: None,
        cross_tenant_access_type: None,
        incoming_token_type: None,
        authentication_protocol: None,
        original_transfer_method: None,
        unique_token_identifier: None,
        session_id: None,
        autonomous_system_number: None,
        status: status(Outcome::Success { mfa: false }, app),
        device_detail: device_detail(device),
        location: location(place.office),
        applied_conditional_access_policies: Vec::new(),
        authentication_details: None,
    }
}

/// One interactive sign-in record in the v1.0 shape.
#[allow(clippy::too_many_arguments)]
pub(crate) fn interactive<'t>(
    user: &'t User,
    place: Place<'t>,
    app: &'static App,
    device: &'t Device,
    at: i64,
    ids: (String, String),
    outcome: Outcome,
    flag: Option<Flag>,
) -> SignIn<'t> {
    let mut s = base(user, place, app, device, ids.0, ids.1);
    s.created_date_time = clock::whole_seconds(at);
    s.status = status(outcome, app);
    s.risk_event_types = Some(Vec::new());
    // As in the seed v1.0 exports (collected without Policy.Read.All): no CA detail.
    s.conditional_access_status = "notApplied";
    if let Some(f) = flag {
        s.risk_detail = f.detail;
        s.risk_level_during_sign_in = "low";
        s.risk_state = f.state;
        s.risk_event_types = Some(vec![UNFAMILIAR]);
        s.risk_event_types_v2 = vec![UNFAMILIAR];
    }
    s
}

/// One non-interactive (refresh token) sign-in in the beta shape.
#[allow(clippy::too_many_arguments)]
pub(crate) fn non_interactive<'t>(
    t: &'t Tenant,
    user: &'t User,
    place: Place<'t>,
    app: &'static App,
    device: &'t Device,
    at: i64,
    ids: (super::rng::Guid, String),
    session: &str,
    millis: u32,
) -> SignIn<'t> {
    let id = ids.0.to_string();
    let mut s = base(user, place, app, device, id.clone(), ids.1);
    let when = clock::seven_digits(at);
    s.created_date_time = when.clone();
    s.is_interactive = false;
    s.user_agent = Some(device.model.user_agent);
    s.original_request_id = Some(id);
    s.token_issuer_name = Some("");
    s.token_issuer_type = Some("AzureAD");
    s.processing_time_in_milliseconds = Some(millis);
    s.resource_tenant_id = Some(&t.id);
    s.home_tenant_id = Some(&t.id);
    s.authentication_requirement = Some("singleFactorAuthentication");
    s.sign_in_identifier = Some("");
    s.sign_in_event_types = Some(["nonInteractiveUser"]);
    s.service_principal_id = Some("");
    s.service_principal_name = Some(());
    s.user_type = Some("member");
    s.cross_tenant_access_type = Some("none");
    s.incoming_token_type = Some("refreshToken");
    s.authentication_protocol = Some("none");
    s.original_transfer_method = Some("none");
    s.unique_token_identifier = Some(ids.0.token());
    s.session_id = Some(session.to_string());
    s.autonomous_system_number = Some(place.asn);
    s.applied_conditional_access_policies.push(mfa_policy(t));
    s.status = Status {
        error_code: 0,
        failure_reason: "Other.".into(),
        additional_details: None,
    };
    s.authentication_details = Some([AuthDetail {
        authentication_step_date_time: when,
        authentication_method: "Previously satisfied",
        authentication_method_detail: None,
        succeeded: true,
        authentication_step_result_detail:
            "First factor requirement satisfied by claim in the token",
        authentication_step_requirement: "",
    }]);
    s
}

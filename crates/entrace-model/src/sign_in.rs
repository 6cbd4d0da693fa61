//! `signIn` (`/auditLogs/signIns`, v1.0 and beta): every property in current
//! beta metadata plus the legacy ones still found in older exports (docs/research/graph.md §1.1).

use super::common::{KEY_VALUE, LOCATION};
use super::{f, EntityKind, EntitySpec, Field, Kind::*};

const STATUS: &[Field] = &[
    f("errorCode", Int32, "AADSTS error code; 0 = success"),
    f(
        "failureReason",
        Str,
        "Failure text (localised, changes over time; \"Other.\" on success)",
    ),
    f("additionalDetails", Str, "Extra explanation"),
];

const DEVICE_DETAIL: &[Field] = &[
    f("browser", Str, "Browser and version"),
    f("browserId", Str, "Browser id (beta)"),
    f("deviceId", Str, "Entra device id, empty when unregistered"),
    f("displayName", Str, "Device name"),
    f("isCompliant", Bool, "Device marked compliant"),
    f("isManaged", Bool, "Device managed"),
    f("operatingSystem", Str, "Operating system"),
    f("trustType", Str, "Join type"),
];

const AUTH_STRENGTH: &[Field] = &[
    f(
        "authenticationStrengthId",
        Str,
        "Authentication strength id",
    ),
    f("authenticationStrengthResult", Str, "Result"),
    f("displayName", Str, "Name"),
];

const CA_RULE_SATISFIED: &[Field] = &[
    f("conditionalAccessCondition", Str, "Condition (flags enum)"),
    f("ruleSatisfied", Str, "Rule"),
];

const APPLIED_CA_POLICY: &[Field] = &[
    f("id", Str, "Policy id"),
    f("displayName", Str, "Policy name"),
    f(
        "enforcedGrantControls",
        StrList,
        "Grant controls (Mfa, Block, …)",
    ),
    f("enforcedSessionControls", StrList, "Session controls"),
    f("result", Str, "success, failure, notApplied, reportOnly…"),
    f("conditionsSatisfied", Str, "Flags enum, comma-separated"),
    f("conditionsNotSatisfied", Str, "Flags enum, comma-separated"),
    f(
        "authenticationStrength",
        Object(AUTH_STRENGTH),
        "Authentication strength",
    ),
    f(
        "includeRulesSatisfied",
        ObjectList(CA_RULE_SATISFIED),
        "Include rules met",
    ),
    f(
        "excludeRulesSatisfied",
        ObjectList(CA_RULE_SATISFIED),
        "Exclude rules met",
    ),
    f(
        "sessionControlsNotSatisfied",
        StrList,
        "Session controls not met",
    ),
];

const AUTH_DETAIL: &[Field] = &[
    f(
        "authenticationMethod",
        Str,
        "Password, SMS, Authenticator App, …",
    ),
    f("authenticationMethodDetail", Str, "Method detail"),
    f("authenticationStepDateTime", Timestamp, "Time of the step"),
    f(
        "authenticationStepRequirement",
        Str,
        "Why the step was required",
    ),
    f(
        "authenticationStepResultDetail",
        Str,
        "Result text (MFA denied; …)",
    ),
    f("succeeded", Bool, "Step succeeded"),
];

const AUTH_APP_DEVICE: &[Field] = &[
    f("appVersion", Str, "Authenticator app version"),
    f("clientApp", Str, "Client app"),
    f("deviceId", Str, "Device id"),
    f("operatingSystem", Str, "Operating system"),
];

const AUTH_APP_POLICY: &[Field] = &[
    f("adminConfiguration", Str, "Admin configuration"),
    f("authenticationEvaluation", Str, "Evaluation"),
    f("policyName", Str, "Policy"),
    f("status", Str, "Status"),
];

const AUTH_CONTEXT: &[Field] = &[f("id", Str, "Context id"), f("detail", Str, "Detail")];

const AUTH_REQ_POLICY: &[Field] = &[
    f("detail", Str, "Detail"),
    f(
        "requirementProvider",
        Str,
        "What required the authentication",
    ),
];

const EVENT_LISTENER: &[Field] = &[
    f("eventType", Str, "Event type"),
    f("executedListenerId", Str, "Listener id"),
    f("handlerResult", Json, "Handler result (open type)"),
];

const MANAGED_IDENTITY: &[Field] = &[
    f("associatedResourceId", Str, "Azure resource id"),
    f("federatedTokenId", Str, "Federated token id"),
    f("federatedTokenIssuer", Str, "Federated token issuer"),
    f("msiType", Str, "systemAssigned or userAssigned"),
];

const MFA_DETAIL: &[Field] = &[
    f("authDetail", Str, "MFA detail"),
    f("authMethod", Str, "MFA method"),
];

const NETWORK_LOCATION: &[Field] = &[
    f("networkNames", StrList, "Named networks"),
    f("networkType", Str, "Network type"),
];

const PRIVATE_LINK: &[Field] = &[
    f("policyId", Str, "Policy id"),
    f("policyName", Str, "Policy name"),
    f("policyTenantId", Str, "Policy tenant"),
    f("resourceId", Str, "Resource id"),
];

const SESSION_LIFETIME: &[Field] = &[
    f("detail", Str, "Detail"),
    f("expirationRequirement", Str, "Expiration requirement"),
];

const TOKEN_PROTECTION: &[Field] = &[
    f("signInSessionStatus", Str, "bound, unbound, none"),
    f("signInSessionStatusCode", Int32, "Status code"),
];

const AGENT: &[Field] = &[
    f("agentSubjectParentId", Str, "Agent subject parent id"),
    f("agentSubjectType", Str, "Agent subject type"),
    f("agentType", Str, "Agent type"),
    f("parentAppId", Str, "Parent app id"),
];

/// signIn properties in column order.
pub const FIELDS: &[Field] = &[
    f(
        "id",
        Str,
        "Sign-in event id (request id); riskDetection.requestId points here",
    ),
    f(
        "createdDateTime",
        Timestamp,
        "When the sign-in happened (UTC)",
    ),
    f("userId", Str, "User object id"),
    f("userPrincipalName", Str, "User principal name"),
    f(
        "userDisplayName",
        Str,
        "User display name (attacker-influenced for guests)",
    ),
    f("userType", Str, "member or guest (beta)"),
    f("appId", Str, "Client application id"),
    f("appDisplayName", Str, "Client application name"),
    f("appOwnerTenantId", Str, "Tenant owning the app (beta)"),
    f("ipAddress", Str, "Client IP address as sent"),
    f(
        "ipAddressFromResourceProvider",
        Str,
        "IP seen by the resource (beta)",
    ),
    f("autonomousSystemNumber", Int32, "ASN of the IP (beta)"),
    f(
        "clientAppUsed",
        Str,
        "Browser, Exchange ActiveSync, IMAP, … (legacy auth marker)",
    ),
    f("userAgent", Str, "Raw user agent (attacker-controlled)"),
    f(
        "correlationId",
        Str,
        "Flow id shared by the records of one authentication",
    ),
    f(
        "originalRequestId",
        Str,
        "Request id of the first request of the flow (beta)",
    ),
    f(
        "sessionId",
        Str,
        "Session id shared by sign-ins of one root authentication (beta)",
    ),
    f(
        "uniqueTokenIdentifier",
        Str,
        "Unique token identifier (beta)",
    ),
    f("clientSessionId", Str, "Client session id (beta)"),
    f(
        "conditionalAccessStatus",
        Str,
        "success, failure, notApplied",
    ),
    f("isInteractive", Bool, "Interactive sign-in"),
    f(
        "signInEventTypes",
        StrList,
        "interactiveUser, nonInteractiveUser, servicePrincipal, … (beta)",
    ),
    f(
        "authenticationRequirement",
        Str,
        "singleFactorAuthentication or multiFactorAuthentication (beta)",
    ),
    f(
        "authenticationProtocol",
        Str,
        "deviceCode, ropc, … flags enum (beta)",
    ),
    f(
        "originalTransferMethod",
        Str,
        "deviceCodeFlow, authenticationTransfer, none (beta)",
    ),
    f(
        "incomingTokenType",
        Str,
        "primaryRefreshToken, refreshToken, saml20, … (beta)",
    ),
    f(
        "crossTenantAccessType",
        Str,
        "b2bCollaboration, passthrough, none, … (beta)",
    ),
    f(
        "clientCredentialType",
        Str,
        "clientSecret, certificate, … (beta)",
    ),
    f(
        "tokenIssuerType",
        Str,
        "AzureAD, ADFederationServices, … (beta)",
    ),
    f("tokenIssuerName", Str, "Token issuer name (beta)"),
    f("signInIdentifier", Str, "What the user typed (beta)"),
    f(
        "signInIdentifierType",
        Str,
        "Kind of identifier typed (beta)",
    ),
    f(
        "alternateSignInName",
        Str,
        "Legacy beta name of signInIdentifier",
    ),
    f("status", Object(STATUS), "Result of the sign-in"),
    f("deviceDetail", Object(DEVICE_DETAIL), "Client device"),
    f("location", Object(LOCATION), "Location of the IP address"),
    f("riskDetail", Str, "Reason for the risk state"),
    f(
        "riskLevelAggregated",
        Str,
        "Aggregated risk level (hidden without P2)",
    ),
    f(
        "riskLevelDuringSignIn",
        Str,
        "Risk level during the sign-in",
    ),
    f("riskState", Str, "Risk state (atRisk, remediated, …)"),
    f(
        "riskEventTypes",
        StrList,
        "Risk event types (deprecated v1.0 enum list)",
    ),
    f("riskEventTypes_v2", StrList, "Risk event types (open list)"),
    f("resourceDisplayName", Str, "Resource name"),
    f("resourceId", Str, "Resource application id"),
    f("resourceTenantId", Str, "Resource tenant id"),
    f("resourceOwnerTenantId", Str, "Resource owner tenant (beta)"),
    f(
        "resourceServicePrincipalId",
        Str,
        "Resource service principal (beta)",
    ),
    f("homeTenantId", Str, "Home tenant of the user"),
    f("homeTenantName", Str, "Home tenant name (beta)"),
    f(
        "servicePrincipalId",
        Str,
        "Service principal id (SP sign-ins)",
    ),
    f("servicePrincipalName", Str, "Service principal name"),
    f(
        "servicePrincipalCredentialKeyId",
        Str,
        "Credential key id (beta)",
    ),
    f(
        "servicePrincipalCredentialThumbprint",
        Str,
        "Credential thumbprint (beta)",
    ),
    f(
        "federatedCredentialId",
        Str,
        "Federated credential id (beta)",
    ),
    f(
        "managedServiceIdentity",
        Object(MANAGED_IDENTITY),
        "Managed identity details (beta)",
    ),
    f("azureResourceId", Str, "Azure resource id (beta)"),
    f(
        "appliedConditionalAccessPolicies",
        ObjectList(APPLIED_CA_POLICY),
        "Conditional Access policies evaluated",
    ),
    f(
        "authenticationDetails",
        ObjectList(AUTH_DETAIL),
        "Authentication steps (beta)",
    ),
    f("authenticationMethodsUsed", StrList, "Methods used (beta)"),
    f(
        "authenticationProcessingDetails",
        ObjectList(KEY_VALUE),
        "Processing details (beta)",
    ),
    f(
        "authenticationRequirementPolicies",
        ObjectList(AUTH_REQ_POLICY),
        "What required the authentication (beta)",
    ),
    f(
        "authenticationContextClassReferences",
        ObjectList(AUTH_CONTEXT),
        "Authentication contexts (beta)",
    ),
    f(
        "authenticationAppDeviceDetails",
        Object(AUTH_APP_DEVICE),
        "Authenticator app device",
    ),
    f(
        "authenticationAppPolicyEvaluationDetails",
        ObjectList(AUTH_APP_POLICY),
        "Authenticator app policies (beta)",
    ),
    f(
        "appliedEventListeners",
        ObjectList(EVENT_LISTENER),
        "Authentication event listeners (beta)",
    ),
    f("conditionalAccessAudiences", StrList, "CA audiences (beta)"),
    f(
        "mfaDetail",
        Object(MFA_DETAIL),
        "Deprecated MFA detail (beta)",
    ),
    f(
        "networkLocationDetails",
        ObjectList(NETWORK_LOCATION),
        "Network locations (beta)",
    ),
    f(
        "sessionLifetimePolicies",
        ObjectList(SESSION_LIFETIME),
        "Session lifetime policies (beta)",
    ),
    f(
        "privateLinkDetails",
        Object(PRIVATE_LINK),
        "Private link (beta)",
    ),
    f(
        "processingTimeInMilliseconds",
        Int32,
        "Processing time (beta)",
    ),
    f("flaggedForReview", Bool, "Flagged for admin review (beta)"),
    f(
        "isTenantRestricted",
        Bool,
        "Tenant restriction applied (beta)",
    ),
    f(
        "isThroughGlobalSecureAccess",
        Bool,
        "Through Global Secure Access (beta)",
    ),
    f(
        "globalSecureAccessIpAddress",
        Str,
        "Global Secure Access IP (beta)",
    ),
    f(
        "appTokenProtectionStatus",
        Str,
        "App token protection (beta)",
    ),
    f(
        "signInTokenProtectionStatus",
        Str,
        "Sign-in token protection (beta)",
    ),
    f(
        "tokenProtectionStatusDetails",
        Object(TOKEN_PROTECTION),
        "Token protection details (beta)",
    ),
    f(
        "agent",
        Object(AGENT),
        "Agent identity sign-in (beta, 2025+)",
    ),
];

/// The signIn entity.
pub static SPEC: EntitySpec = EntitySpec {
    kind: EntityKind::SignIn,
    table: "signins",
    graph_type: "signIn",
    fields: FIELDS,
    time_fields: &["createdDateTime"],
    updated_field: None,
};

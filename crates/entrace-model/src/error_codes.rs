//! Sign-in error codes (`status.errorCode`, the AADSTS number without its
//! prefix): an offline table with a short label, a meaning and a class.
//!
//! The class is what an investigator needs first: did the attempt succeed, was
//! it an expected interruption (MFA prompt, "keep me signed in"), a failure of
//! the credentials or the request, or was it blocked by a control (lockout,
//! Conditional Access, security defaults, a disabled account)? Meanings are
//! paraphrased from Microsoft's AADSTS reference and the sources listed in
//! docs/research/graph.md §4.1; the interrupt set follows the portal's "Interrupted" status.
//! Failure-reason texts are localised and change over time, so entrace keys on
//! these codes, never on the text.

use std::fmt;

/// What a sign-in outcome means for an investigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The sign-in succeeded (code 0).
    Success,
    /// An expected step interrupted the flow (MFA prompt, KMSI, consent, SSO miss).
    Interrupted,
    /// The credentials or the request were wrong.
    Failure,
    /// A control stopped the attempt: lockout, Conditional Access, security
    /// defaults, a disabled account, risk policy.
    Blocked,
}

impl Outcome {
    /// The lower-case name used in tables (`success`, `interrupted`, `failure`, `blocked`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Interrupted => "interrupted",
            Outcome::Failure => "failure",
            Outcome::Blocked => "blocked",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One known error code.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode {
    /// The number Graph writes in `status.errorCode`.
    pub code: i32,
    /// Its class.
    pub outcome: Outcome,
    /// A short label for timelines ("invalid password", "smart lockout").
    pub label: &'static str,
    /// What it means, in a sentence.
    pub meaning: &'static str,
}

const fn c(code: i32, outcome: Outcome, label: &'static str, meaning: &'static str) -> ErrorCode {
    ErrorCode {
        code,
        outcome,
        label,
        meaning,
    }
}

use Outcome::{Blocked as B, Failure as F, Interrupted as I, Success as S};

/// Every code entrace knows, sorted by code (a test keeps it sorted and unique).
pub static ERROR_CODES: &[ErrorCode] = &[
    c(0, S, "signed in", "Success; failureReason may still read \"Other.\""),
    c(16000, I, "account selection", "Account selection needed, or the user is not in the tenant for this app"),
    c(16001, I, "account selection", "Account selection interrupt (several accounts signed in)"),
    c(16003, I, "user not in tenant", "The user account is not in the tenant of the application"),
    c(50011, F, "reply URL mismatch", "The redirect URI does not match the application's reply URLs"),
    c(50020, F, "external user not in tenant", "User from an external identity provider is not present in the tenant"),
    c(50034, F, "account does not exist", "The user account does not exist in the directory (user enumeration)"),
    c(50053, B, "smart lockout", "Account locked by Smart Lockout after repeated failures, or the IP is malicious"),
    c(50055, I, "password expired", "The password has expired and must be changed"),
    c(50056, F, "no password stored", "Invalid or null password: no password is stored for the user"),
    c(50057, B, "account disabled", "The user account is disabled"),
    c(50058, I, "no SSO session", "Silent sign-in without enough session information (user not signed in)"),
    c(50059, I, "tenant not identified", "The tenant could not be found from the request"),
    c(50064, F, "credential validation failed", "Credential validation failed"),
    c(50072, I, "MFA enrolment required", "The user must enrol for multi-factor authentication"),
    c(50074, I, "MFA required, not passed", "Strong authentication required and the user did not pass the challenge"),
    c(50076, I, "MFA required", "MFA required by policy or location; password accepted, second factor pending"),
    c(50079, I, "MFA registration required", "The user must register security info for MFA (password accepted)"),
    c(50097, F, "device authentication required", "Device authentication is required"),
    c(50105, F, "user not assigned to app", "The user is not assigned to a role of the application"),
    c(50125, I, "password reset interrupt", "Sign-in interrupted by a password reset or registration entry"),
    c(50126, F, "invalid password", "Invalid username or password"),
    c(50127, I, "broker app install required", "A broker application must be installed"),
    c(50129, I, "device not workplace joined", "The device is not workplace joined"),
    c(50131, B, "Conditional Access failure", "Conditional Access failed (device state, suspicious activity)"),
    c(50132, F, "session revoked (password change)", "Session invalid after a password change or expiry"),
    c(50133, F, "session expired (password change)", "Session invalid after a password expiry or recent change"),
    c(50135, B, "password change required (risk)", "Password change required because of account risk"),
    c(50140, I, "keep me signed in prompt", "\"Keep me signed in\" interrupt"),
    c(50143, I, "session mismatch", "Session mismatch: the session belongs to another tenant or user"),
    c(50144, I, "on-premises password expired", "The on-premises Active Directory password has expired"),
    c(50155, F, "device authentication failed", "Device authentication failed"),
    c(50158, F, "external security challenge failed", "An external security challenge (third-party MFA, external control) was not satisfied"),
    c(50173, F, "grant revoked", "The grant was revoked (tokens revoked by an admin or the user); a fresh token is needed"),
    c(50199, I, "user confirmation required", "User confirmation required (CMSI interrupt, device-code and app-scheme flows)"),
    c(51004, F, "account not in directory", "The user account is not in the directory"),
    c(51006, I, "Windows integrated auth needed", "Forced re-authentication with Windows integrated authentication"),
    c(52004, I, "LinkedIn consent required", "The user has not consented to LinkedIn resources"),
    c(53000, B, "device not compliant (CA)", "Conditional Access requires a compliant device"),
    c(53001, B, "device not domain-joined (CA)", "Conditional Access requires a domain-joined device"),
    c(53002, B, "app not approved (CA)", "Conditional Access requires an approved client application"),
    c(53003, B, "blocked by Conditional Access", "Access blocked by a Conditional Access policy"),
    c(53004, B, "MFA registration blocked (risk)", "Security info registration blocked because of risk"),
    c(65001, I, "consent required", "No consent for the application (DelegationDoesNotExist)"),
    c(65004, F, "consent declined", "The user declined to consent to the application"),
    c(70008, F, "refresh token expired", "The refresh token or authorisation code has expired (inactivity)"),
    c(70011, F, "invalid scope", "The requested scope is invalid"),
    c(70043, F, "token expired (sign-in frequency)", "Refresh token expired or invalid because of the Conditional Access sign-in frequency"),
    c(70044, F, "session expired", "The session has expired or is invalid because of the sign-in frequency checks"),
    c(81010, I, "seamless SSO ticket invalid", "Seamless SSO: the Kerberos ticket is expired or invalid"),
    c(81012, I, "seamless SSO user mismatch", "Seamless SSO: the Kerberos user does not match the signing-in user"),
    c(81014, I, "seamless SSO retry", "Seamless SSO: retry with another method"),
    c(90094, F, "admin consent required", "Administrator consent is required"),
    c(90095, I, "admin consent workflow", "The user was told to request admin consent"),
    c(120000, F, "password change: wrong current password", "Password change failed: the current password is wrong"),
    c(120002, F, "password change: weak new password", "Password change failed: the new password does not meet requirements"),
    c(120003, F, "password change: policy violation", "Password change failed: the new password violates the password policy"),
    c(135010, F, "device key not found", "The device key was not found"),
    c(135011, F, "device disabled", "The device used for the authentication is disabled"),
    c(500011, F, "resource not in tenant", "The resource service principal was not found in the tenant"),
    c(500121, F, "MFA denied", "Authentication failed during the strong authentication request (declined, timed out or fraud reported)"),
    c(530032, B, "blocked by security policy", "Blocked by a tenant security policy"),
    c(530034, B, "delegated admin blocked (risk)", "Delegated admin blocked because of risk in the home tenant"),
    c(530035, B, "blocked by security defaults", "Blocked by security defaults: legacy authentication or a request deemed unsafe"),
    c(700016, F, "application not found", "The application was not found in the tenant"),
    c(700082, F, "refresh token expired", "The refresh token has expired because of inactivity"),
    c(7000215, F, "invalid client secret", "An invalid client secret was provided"),
    c(7000218, F, "client secret missing", "The request lacks client_assertion or client_secret (public-client flow against a confidential app)"),
    c(7000222, F, "client secret expired", "The client secret has expired"),
];

/// The entry for `code`, if entrace knows it.
pub fn lookup(code: i32) -> Option<&'static ErrorCode> {
    ERROR_CODES
        .binary_search_by_key(&code, |e| e.code)
        .ok()
        .map(|i| &ERROR_CODES[i])
}

/// The class of `code`: from the table, else success for 0 and failure for anything else.
pub fn outcome(code: i32) -> Outcome {
    match lookup(code) {
        Some(e) => e.outcome,
        None if code == 0 => Outcome::Success,
        None => Outcome::Failure,
    }
}

/// The timeline label of a sign-in with this code: "sign-in failed: invalid
/// password (50126)", "smart lockout (50053)", "sign-in interrupted: keep me
/// signed in prompt (50140)", "signed in".
pub fn sign_in_action(code: i32) -> String {
    match lookup(code) {
        Some(e) if e.code == 0 => "signed in".into(),
        Some(e) => match e.outcome {
            Outcome::Success => format!("{} ({code})", e.label),
            Outcome::Interrupted => format!("sign-in interrupted: {} ({code})", e.label),
            Outcome::Failure => format!("sign-in failed: {} ({code})", e.label),
            // Block labels already say what happened: "smart lockout", "blocked by …".
            Outcome::Blocked => format!("{} ({code})", e.label),
        },
        None => format!("sign-in failed: unrecognised error ({code})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_large_enough() {
        assert!(ERROR_CODES.windows(2).all(|w| w[0].code < w[1].code));
        assert!(ERROR_CODES.len() >= 60, "{} codes", ERROR_CODES.len());
        assert!(ERROR_CODES
            .iter()
            .all(|e| !e.label.is_empty() && !e.meaning.is_empty()));
    }

    #[test]
    fn seed_codes_have_the_labels_the_timeline_shows() {
        assert_eq!(
            sign_in_action(50126),
            "sign-in failed: invalid password (50126)"
        );
        assert_eq!(sign_in_action(50053), "smart lockout (50053)");
        assert_eq!(
            sign_in_action(530035),
            "blocked by security defaults (530035)"
        );
        assert_eq!(
            sign_in_action(50140),
            "sign-in interrupted: keep me signed in prompt (50140)"
        );
        assert_eq!(sign_in_action(0), "signed in");
        assert_eq!(
            sign_in_action(4242),
            "sign-in failed: unrecognised error (4242)"
        );
        assert_eq!(outcome(4242), Outcome::Failure);
        assert_eq!(outcome(50053), Outcome::Blocked);
        assert_eq!(outcome(50076), Outcome::Interrupted);
    }
}

//! Named sets of sign-in error codes the detections share (DETECTIONS.md §5.1).
//!
//! entrace matches on codes, never on the localised failure text. Choices:
//! 50055 (expired password) is returned for the right but expired password,
//! so it is in [`PW_VALIDATED`], not [`CRED_FAIL`]. The post-password
//! interrupts and blocks 50140, 50125, 530035 and 530032 are added to
//! Sentinel's list (inferred: they are only reached after the password was
//! checked).

/// Credential failures: wrong password, lockout, no password, validation failed.
pub const CRED_FAIL: &[i32] = &[50053, 50056, 50064, 50126];

/// Codes that mean the password was right but something else stopped or
/// interrupted the sign-in.
pub const PW_VALIDATED: &[i32] = &[
    50005, 50055, 50057, 50072, 50074, 50076, 50079, 50105, 50125, 50129, 50133, 50140, 50155,
    50158, 50173, 53000, 53001, 53003, 530032, 530035,
];

/// Success.
pub const SUCCESS: i32 = 0;

/// MFA denied, not answered, or reported as fraud.
pub const MFA_DENY: i32 = 500121;

/// Blocks by Conditional Access or security defaults.
pub const POLICY_BLOCK: &[i32] = &[53000, 53001, 53002, 53003, 53004, 530032, 530034, 530035];

/// Whether `code` is a credential failure.
pub fn is_cred_fail(code: Option<i32>) -> bool {
    code.is_some_and(|c| CRED_FAIL.contains(&c))
}

/// Whether `code` shows the password was validated (success included).
pub fn is_pw_validated(code: Option<i32>) -> bool {
    code.is_some_and(|c| c == SUCCESS || PW_VALIDATED.contains(&c))
}

/// Whether `code` is a Conditional Access or security-defaults block.
pub fn is_policy_block(code: Option<i32>) -> bool {
    code.is_some_and(|c| POLICY_BLOCK.contains(&c))
}

/// Counts, per error code, the failure texts entrace reads but did not
/// recognise: 50053 (lockout or malicious IP) and 500121 (declined, not
/// answered or fraud). Matching is on codes first; these texts only split a
/// code, so an unknown wording is reported rather than guessed.
pub fn unrecognised_texts(
    sign_ins: &[crate::case::load::SignIn],
) -> std::collections::BTreeMap<i32, u64> {
    let mut out = std::collections::BTreeMap::new();
    for s in sign_ins {
        let known: &[&str] = match s.error_code {
            Some(50053) => &["locked", "malicious"],
            Some(MFA_DENY) => &[
                "declined",
                "did not respond",
                "not respond",
                "fraud",
                "timed out",
                "denied",
            ],
            _ => continue,
        };
        let text = format!(
            "{} {}",
            s.failure_reason.as_deref().unwrap_or(""),
            s.additional_details.as_deref().unwrap_or("")
        )
        .to_lowercase();
        if !known.iter().any(|k| text.contains(k)) {
            *out.entry(s.error_code.unwrap_or_default()).or_default() += 1;
        }
    }
    out
}

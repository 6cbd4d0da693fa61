//! Single sign-in error codes the rules name, and the failure texts they
//! read. The named sets of codes (credential failures, password validated,
//! policy blocks) are data: `vocabulary.toml`, read through
//! [`super::vocabulary::Vocabulary`]. entrace matches on codes, never on the
//! localised failure text. 50055 (expired password) is returned for the
//! right but expired password, so it is a "password validated" code; the
//! post-password interrupts and blocks 50140, 50125, 530035 and 530032 are
//! added to Sentinel's list (inferred: they are only reached after the
//! password was checked).

/// Success.
pub const SUCCESS: i32 = 0;

/// MFA denied, not answered, or reported as fraud.
pub const MFA_DENY: i32 = 500121;

/// Counts, per error code, the failure texts entrace reads but did not
/// recognise: 50053 (lockout or malicious IP) and 500121 (declined, not
/// answered or fraud). Matching is on codes first; these texts only split a
/// code, so an unknown wording is reported rather than guessed.
pub fn unrecognised_texts(
    sign_ins: &[entrace_case::records::SignIn],
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

//! Positive, near-miss and benign look-alike cases of the sign-in detections,
//! on small in-memory tables.

use super::config::Config;
use super::context::Context;
use super::finding::{Finding, Severity};
use entrace_case::correlate::correlate;
use entrace_case::identity::{observe_all, resolve_all};
use entrace_case::records::{RiskDetection, RiskyUser, SignIn, Tables};

const MIN: i64 = 60 * 1_000_000_000;

/// A sign-in of `user` from `ip` at `minute` with `code`, Edge on Windows.
fn si(user: &str, ip: &str, minute: i64, code: i32) -> SignIn {
    SignIn {
        id: format!("{user}-{ip}-{minute}-{code}"),
        time: minute * MIN,
        user_id: Some(format!("id-{user}")),
        upn: Some(format!("{user}@contoso.com")),
        ip: Some(ip.into()),
        error_code: Some(code),
        browser: Some("Edge 134.0.0".into()),
        os: Some("Windows10".into()),
        client_app_used: Some("Browser".into()),
        app_id: Some("app-officehome".into()),
        country: Some("JP".into()),
        ..SignIn::default()
    }
}

fn at(mut s: SignIn, country: &str, lat: f64, lon: f64) -> SignIn {
    s.country = Some(country.into());
    s.latitude = Some(lat);
    s.longitude = Some(lon);
    s
}

/// The findings of detection `id` on these sign-ins, with `--set` overrides.
fn findings(id: &str, sign_ins: Vec<SignIn>, sets: &[&str]) -> Vec<Finding> {
    let tables = Tables {
        sign_ins,
        ..Tables::default()
    };
    findings_in(id, &tables, sets)
}

/// The findings of detection `id` on these tables.
fn findings_in(id: &str, tables: &Tables, sets: &[&str]) -> Vec<Finding> {
    let mut identities = observe_all(tables);
    let users = resolve_all(tables, &mut identities);
    let ids: Vec<Option<String>> = users
        .sign_ins
        .iter()
        .map(|r| r.as_ref().and_then(|r| r.user_id.clone()))
        .collect();
    let detection_ids: Vec<Option<String>> = users
        .detections
        .iter()
        .map(|r| r.as_ref().and_then(|r| r.user_id.clone()))
        .collect();
    let links = correlate(tables, &ids, &detection_ids);
    let ctx = Context::new(tables, &users, &identities, &links);
    let mut config = Config::default();
    for s in sets {
        config.apply_set(s).unwrap();
    }
    let whole = super::run(&ctx, &config, &[]);
    // Every user in a bucket of its own, and every user in one of three:
    // the same findings as over the whole tenant.
    let users: Vec<String> = super::context::Bucket::partition(&ctx, 1, |_| 0)[0]
        .users
        .iter()
        .cloned()
        .collect();
    let each = super::context::Bucket::partition(&ctx, users.len(), |k| {
        users.binary_search_by(|u| u.as_str().cmp(k)).unwrap_or(0)
    });
    let three = super::context::Bucket::partition(&ctx, 3, |k| k.len() % 3);
    for buckets in [each, three] {
        let apart = super::run(&ctx, &config, &buckets);
        assert_eq!(apart.findings, whole.findings, "{} buckets", buckets.len());
    }
    whole
        .findings
        .into_iter()
        .filter(|f| f.detection_id == id)
        .collect()
}

fn severities(f: &[Finding]) -> Vec<Severity> {
    f.iter().map(|f| f.severity).collect()
}

fn failures_then_success(n: i64, ip: &str, success_minute: i64) -> Vec<SignIn> {
    let mut v: Vec<SignIn> = (0..n).map(|k| si("alice", ip, k, 50126)).collect();
    v.push(si("alice", "198.51.100.1", success_minute, 0));
    v
}

#[test]
fn ent001_counts_failures_before_a_success() {
    let low = findings("ENT-001", failures_then_success(2, "198.51.100.1", 5), &[]);
    assert_eq!(severities(&low), [Severity::Low]);
    assert_eq!(low[0].evidence_count, 3);
    assert_eq!(
        severities(&findings(
            "ENT-001",
            failures_then_success(5, "198.51.100.1", 9),
            &[]
        )),
        [Severity::Medium]
    );
    assert_eq!(
        severities(&findings(
            "ENT-001",
            failures_then_success(10, "198.51.100.1", 12),
            &[]
        )),
        [Severity::High]
    );
    // Failures from elsewhere make it medium even when few.
    assert_eq!(
        severities(&findings(
            "ENT-001",
            failures_then_success(2, "203.0.113.9", 5),
            &[]
        )),
        [Severity::Medium]
    );
    // Near miss: one typo; or two failures more than 30 minutes before the success.
    assert!(findings("ENT-001", failures_then_success(1, "198.51.100.1", 5), &[]).is_empty());
    assert!(findings("ENT-001", failures_then_success(2, "198.51.100.1", 32), &[]).is_empty());
}

#[test]
fn ent002_needs_a_lockout_and_a_different_client() {
    let scenario = |success: SignIn| {
        let mut v: Vec<SignIn> = (0..5)
            .map(|k| si("bob", "198.51.100.1", k, 50126))
            .collect();
        v.push(si("bob", "198.51.100.1", 6, 50053));
        v.push(success);
        v
    };
    let mut edge_to_firefox = si("bob", "198.51.100.1", 8, 0);
    edge_to_firefox.browser = Some("Firefox 136.0".into());
    assert_eq!(
        severities(&findings("ENT-002", scenario(edge_to_firefox.clone()), &[])),
        [Severity::Medium]
    );
    // A new IP never used before: high.
    let elsewhere = si("bob", "203.0.113.50", 8, 0);
    assert_eq!(
        severities(&findings("ENT-002", scenario(elsewhere), &[])),
        [Severity::High]
    );
    // Near miss: the success comes 61 minutes after the lockout.
    let mut late = edge_to_firefox;
    late.time = 67 * MIN;
    assert!(findings("ENT-002", scenario(late), &[]).is_empty());
    // Benign: the same client retries after the lockout expired.
    assert!(findings("ENT-002", scenario(si("bob", "198.51.100.1", 8, 0)), &[]).is_empty());
    // A 50053 for a malicious IP is not Smart Lockout.
    let mut v = scenario(si("bob", "203.0.113.50", 8, 0));
    v[5].failure_reason = Some(
        "The sign-in was blocked because it came from an IP address with malicious activity".into(),
    );
    assert!(findings("ENT-002", v, &[]).is_empty());
}

fn spray(users: usize, spacing_min: i64, ip: &str) -> Vec<SignIn> {
    (0..users)
        .map(|k| si(&format!("user{k:03}"), ip, k as i64 * spacing_min, 50126))
        .collect()
}

#[test]
fn ent005_spray_needs_many_users_and_ignores_busy_offices() {
    assert_eq!(
        severities(&findings("ENT-005", spray(5, 4, "203.0.113.66"), &[])),
        [Severity::Medium]
    );
    assert_eq!(
        severities(&findings("ENT-005", spray(15, 2, "203.0.113.66"), &[])),
        [Severity::High]
    );
    // Near miss: four users in 20 minutes.
    assert!(findings("ENT-005", spray(4, 4, "203.0.113.66"), &[]).is_empty());
    // Low and slow: ten users over a day, one attempt each.
    assert_eq!(
        severities(&findings("ENT-005", spray(10, 120, "203.0.113.66"), &[])),
        [Severity::High]
    );
    // A sprayed success makes it high.
    let mut v = spray(5, 4, "203.0.113.66");
    v.push(si("user002", "203.0.113.66", 30, 0));
    let f = findings("ENT-005", v, &[]);
    assert_eq!(severities(&f), [Severity::High]);
    assert!(f[0].summary.contains("sprayed success"), "{}", f[0].summary);
    // Benign look-alike: an office IP with six typing users and forty successful ones.
    let mut office = spray(6, 3, "198.51.100.7");
    office.extend((0..40).map(|k| si(&format!("staff{k:02}"), "198.51.100.7", k, 0)));
    assert!(findings("ENT-005", office, &[]).is_empty());
    // Thresholds come from the configuration.
    assert!(findings(
        "ENT-005",
        spray(5, 4, "203.0.113.66"),
        &["ENT-005.users_per_20m=6"]
    )
    .is_empty());
}

#[test]
fn ent007_many_failures_in_a_short_window() {
    let burst = |n: i64, spacing_s: i64| -> Vec<SignIn> {
        (0..n)
            .map(|k| {
                let mut s = si("carol", "203.0.113.8", 0, 50126);
                s.time = k * spacing_s * 1_000_000_000;
                s.id = format!("c{k}");
                s
            })
            .collect()
    };
    assert_eq!(
        severities(&findings("ENT-007", burst(10, 30), &[])),
        [Severity::Medium]
    );
    assert!(
        findings("ENT-007", burst(9, 30), &[]).is_empty(),
        "near miss: nine"
    );
    // Benign: ten failures spread over two hours (a stale password on a phone).
    assert!(findings("ENT-007", burst(10, 720), &[]).is_empty());
}

#[test]
fn ent012_flags_speeds_no_traveller_reaches() {
    let tokyo = |minute| {
        at(
            si("dan", "198.51.100.1", minute, 0),
            "JP",
            35.6895,
            139.6917,
        )
    };
    let seattle = |minute| {
        at(
            si("dan", "203.0.113.77", minute, 0),
            "US",
            47.6062,
            -122.3321,
        )
    };
    // 7,700 km in one hour.
    let f = findings("ENT-012", vec![tokyo(0), seattle(60)], &[]);
    assert_eq!(severities(&f), [Severity::High]);
    assert!(f[0].summary.contains("km/h"));
    // Benign look-alike: the flight, 10 hours (about 770 km/h).
    assert!(findings("ENT-012", vec![tokyo(0), seattle(600)], &[]).is_empty());
    // Just above and just under the medium line (900 km/h): 7,700 km in 8.4 h and 8.7 h.
    assert_eq!(
        severities(&findings("ENT-012", vec![tokyo(0), seattle(504)], &[])),
        [Severity::Medium]
    );
    assert!(findings("ENT-012", vec![tokyo(0), seattle(522)], &[]).is_empty());
    // Failures do not count: the password was not validated.
    let mut failed = seattle(60);
    failed.error_code = Some(50126);
    assert!(findings("ENT-012", vec![tokyo(0), failed], &[]).is_empty());
}

#[test]
fn ent013_new_country_after_enough_history() {
    let home: Vec<SignIn> = (0..10)
        .map(|d| si("erin", "198.51.100.1", d * 24 * 60, 0))
        .collect();
    let abroad = |code: i32, minute: i64| {
        let mut s = si("erin", "203.0.113.90", minute, code);
        s.country = Some("US".into());
        s
    };
    let mut v = home.clone();
    v.push(abroad(0, 11 * 24 * 60));
    assert_eq!(severities(&findings("ENT-013", v, &[])), [Severity::Low]);
    // Password right, never completed from there: medium.
    let mut v = home.clone();
    v.push(abroad(50076, 11 * 24 * 60));
    assert_eq!(severities(&findings("ENT-013", v, &[])), [Severity::Medium]);
    // Benign look-alike: the traveller's MFA prompt, completed a minute later.
    let mut v = home.clone();
    v.push(abroad(50076, 11 * 24 * 60));
    v.push(abroad(0, 11 * 24 * 60 + 1));
    assert_eq!(severities(&findings("ENT-013", v, &[])), [Severity::Low]);
    // Near miss on history: nine successes within a week is not enough to judge.
    let mut v: Vec<SignIn> = home[..9].to_vec();
    v.push(abroad(50076, 7 * 24 * 60));
    assert_eq!(severities(&findings("ENT-013", v, &[])), [Severity::Info]);
}

#[test]
fn ent024_success_then_failure_from_another_network() {
    let pair =
        |gap: i64, ip: &str| vec![si("fay", "198.51.100.1", 0, 0), si("fay", ip, gap, 50126)];
    assert_eq!(
        severities(&findings("ENT-024", pair(5, "203.0.113.4"), &[])),
        [Severity::Low]
    );
    assert!(
        findings("ENT-024", pair(11, "203.0.113.4"), &[]).is_empty(),
        "near miss: 11 min"
    );
    // Benign: a typo from the same /16 (office Wi-Fi to wired).
    assert!(findings("ENT-024", pair(5, "198.51.7.20"), &[]).is_empty());
}

#[test]
fn ent006_failures_from_many_places_in_a_day() {
    let attack = |n: i64, ips: i64| -> Vec<SignIn> {
        (0..n)
            .map(|k| si("gus", &format!("203.0.113.{}", k % ips), k * 20, 50126))
            .collect()
    };
    assert_eq!(
        severities(&findings("ENT-006", attack(31, 5), &[])),
        [Severity::Medium]
    );
    assert!(
        findings("ENT-006", attack(30, 5), &[]).is_empty(),
        "near miss: 30 is not more than 30"
    );
    // Benign look-alike: a phone with a stale password, one IP, one place.
    assert!(findings("ENT-006", attack(40, 1), &[]).is_empty());
}

#[test]
fn ent008_mfa_denials_and_fraud_reports() {
    let deny = |minute: i64, details: &str| {
        let mut s = si("hana", "203.0.113.5", minute, 500121);
        s.additional_details = Some(details.into());
        s
    };
    let declined = "MFA denied; user declined the authentication";
    let burst: Vec<SignIn> = (0..3).map(|k| deny(k * 3, declined)).collect();
    assert_eq!(
        severities(&findings("ENT-008", burst.clone(), &[])),
        [Severity::Medium]
    );
    let mut accepted = burst.clone();
    accepted.push(si("hana", "203.0.113.5", 20, 0));
    assert_eq!(
        severities(&findings("ENT-008", accepted, &[])),
        [Severity::High]
    );
    let fraud = vec![deny(0, "MFA denied; Phone App Reported Fraud")];
    assert_eq!(
        severities(&findings("ENT-008", fraud, &[])),
        [Severity::High]
    );
    // Near miss: three denials spread over 12 minutes stay low.
    let spread: Vec<SignIn> = (0..3).map(|k| deny(k * 6, declined)).collect();
    assert_eq!(
        severities(&findings("ENT-008", spread, &[])),
        [Severity::Low]
    );
    // Benign: MFA interrupts (50074) are not denials.
    assert!(findings("ENT-008", vec![si("hana", "198.51.100.1", 0, 50074)], &[]).is_empty());
}

#[test]
fn ent009_legacy_clients_and_ropc_agents() {
    let mut imap = si("ivan", "203.0.113.7", 0, 0);
    imap.client_app_used = Some("IMAP4".into());
    assert_eq!(
        severities(&findings("ENT-009", vec![imap.clone()], &[])),
        [Severity::Medium]
    );
    imap.error_code = Some(50126);
    assert_eq!(
        severities(&findings("ENT-009", vec![imap], &[])),
        [Severity::Low]
    );
    let mut ropc = si("ivan", "203.0.113.7", 0, 50126);
    ropc.user_agent = Some("BAV2ROPC".into());
    assert_eq!(
        severities(&findings("ENT-009", vec![ropc], &[])),
        [Severity::Low]
    );
    // Benign: modern clients.
    let mut mobile = si("ivan", "198.51.100.1", 0, 0);
    mobile.client_app_used = Some("Mobile Apps and Desktop clients".into());
    assert!(findings("ENT-009", vec![mobile], &[]).is_empty());
}

#[test]
fn ent014_disabled_accounts_probed_from_one_ip() {
    let mut v = vec![si("leaver", "203.0.113.9", 0, 50057)];
    v.push(si("active", "203.0.113.9", 5, 0));
    assert_eq!(severities(&findings("ENT-014", v, &[])), [Severity::Medium]);
    // Two leavers probed from one IP are one finding about the IP, whichever
    // users' buckets they fall in (the harness runs them apart too).
    let mut two = vec![
        si("leaver", "203.0.113.9", 0, 50057),
        si("retired", "203.0.113.9", 3, 50057),
    ];
    two.push(si("active", "203.0.113.9", 5, 0));
    let found = findings("ENT-014", two, &[]);
    assert_eq!(severities(&found), [Severity::Medium]);
    assert!(
        found[0].summary.contains("tried 2 disabled account(s)"),
        "{}",
        found[0].summary
    );
    // Benign look-alike: a leaver's phone at the office, where many others succeed.
    let mut office = vec![si("leaver", "198.51.100.7", 0, 50057)];
    office.extend((0..3).map(|k| si(&format!("staff{k}"), "198.51.100.7", k, 0)));
    assert!(
        findings("ENT-014", office, &[]).is_empty(),
        "ratio 1/3 is under 0.5"
    );
    // Per user: three applications in a day.
    let apps: Vec<SignIn> = (0..3)
        .map(|k| {
            let mut s = si("leaver", "192.0.2.50", k, 50057);
            s.app_id = Some(format!("app-{k}"));
            s
        })
        .collect();
    assert_eq!(
        severities(&findings("ENT-014", apps.clone(), &[])),
        [Severity::Low]
    );
    assert!(
        findings("ENT-014", apps[..2].to_vec(), &[]).is_empty(),
        "near miss: two apps"
    );
}

#[test]
fn ent023_device_code_success_and_v1_skip() {
    let mut dc = si("jun", "203.0.113.30", 10, 0);
    dc.authentication_protocol = Some("deviceCode".into());
    let home = si("jun", "198.51.100.1", 0, 0);
    assert_eq!(
        severities(&findings("ENT-023", vec![home.clone(), dc.clone()], &[])),
        [Severity::High]
    );
    // From an IP the user already used: medium.
    let mut known = dc.clone();
    known.ip = Some("198.51.100.1".into());
    assert_eq!(
        severities(&findings("ENT-023", vec![home.clone(), known], &[])),
        [Severity::Medium]
    );
    // A failed device-code attempt is not a finding.
    let mut failed = dc;
    failed.error_code = Some(50126);
    assert!(findings("ENT-023", vec![home.clone(), failed], &[]).is_empty());
}

fn anon(mut s: SignIn) -> SignIn {
    s.risk_event_types = vec!["anonymizedIPAddress".into()];
    s
}

fn detection_of(
    id: &str,
    user: &str,
    kind: &str,
    level: &str,
    state: &str,
    request: Option<&str>,
) -> RiskDetection {
    RiskDetection {
        id: id.into(),
        time: 2 * MIN,
        user_id: Some(format!("id-{user}")),
        upn: Some(format!("{user}@contoso.com")),
        event_type: Some(kind.into()),
        risk_level: Some(level.into()),
        risk_state: Some(state.into()),
        ip: Some("185.220.101.47".into()),
        request_id: request.map(Into::into),
        ..RiskDetection::default()
    }
}

fn risky(user: &str, state: &str, level: &str) -> RiskyUser {
    RiskyUser {
        id: format!("id-{user}"),
        time: 3 * MIN,
        upn: Some(format!("{user}@contoso.com")),
        risk_state: Some(state.into()),
        risk_level: Some(level.into()),
        ..RiskyUser::default()
    }
}

#[test]
fn ent004_and_ent010_grade_anonymized_sign_ins_by_outcome() {
    let tor = "185.220.101.47";
    let blocked = anon(si("kim", tor, 1, 530035));
    let tables = |sign_in: SignIn, risky_users: Vec<RiskyUser>| Tables {
        detections: vec![detection_of(
            "d1",
            "kim",
            "anonymizedIPAddress",
            "medium",
            "atRisk",
            Some(&sign_in.id),
        )],
        sign_ins: vec![si("kim", tor, 0, 50126), sign_in],
        risky_users,
        ..Tables::default()
    };
    let seed = tables(blocked.clone(), vec![risky("kim", "atRisk", "low")]);
    let f = findings_in("ENT-004", &seed, &[]);
    assert_eq!(severities(&f), [Severity::Medium]);
    assert_eq!(f[0].join_basis.as_deref(), Some("request_id"));
    assert_eq!(
        f[0].evidence_count, 4,
        "failure, sign-in, detection, risky user"
    );
    assert_eq!(
        severities(&findings_in("ENT-010", &seed, &[])),
        [Severity::Medium]
    );
    // Near miss: blocked, but the user never became risky: low.
    let no_risky = tables(blocked, vec![]);
    assert_eq!(
        severities(&findings_in("ENT-004", &no_risky, &[])),
        [Severity::Low]
    );
    // A success through Tor is high for both.
    let success = tables(
        anon(si("kim", tor, 1, 0)),
        vec![risky("kim", "atRisk", "low")],
    );
    assert_eq!(
        severities(&findings_in("ENT-004", &success, &[])),
        [Severity::High]
    );
    assert_eq!(
        severities(&findings_in("ENT-010", &success, &[])),
        [Severity::High]
    );
    // Benign look-alike: an ordinary sign-in from a hosting IP, no anonymizer flag.
    let plain = Tables {
        sign_ins: vec![si("kim", "203.0.113.200", 0, 0)],
        ..Tables::default()
    };
    assert!(findings_in("ENT-004", &plain, &[]).is_empty());
    assert!(findings_in("ENT-010", &plain, &[]).is_empty());
}

#[test]
fn ent011_and_ent022_follow_state_and_level() {
    let t = |state: &str, level: &str, kind: &str| Tables {
        detections: vec![detection_of("d1", "lee", kind, level, state, None)],
        risky_users: vec![risky("lee", state, level)],
        ..Tables::default()
    };
    assert_eq!(
        severities(&findings_in(
            "ENT-011",
            &t("atRisk", "medium", "unfamiliarFeatures"),
            &[]
        )),
        [Severity::Medium]
    );
    assert_eq!(
        severities(&findings_in(
            "ENT-011",
            &t("atRisk", "low", "attackerinTheMiddle"),
            &[]
        )),
        [Severity::High]
    );
    // Benign look-alikes: dismissed is info, remediated drops a level.
    assert_eq!(
        severities(&findings_in(
            "ENT-011",
            &t("dismissed", "low", "unfamiliarFeatures"),
            &[]
        )),
        [Severity::Info]
    );
    assert_eq!(
        severities(&findings_in(
            "ENT-011",
            &t("remediated", "high", "leakedCredentials"),
            &[]
        )),
        [Severity::Medium]
    );
    assert_eq!(
        severities(&findings_in(
            "ENT-022",
            &t("atRisk", "high", "unfamiliarFeatures"),
            &[]
        )),
        [Severity::High]
    );
    assert_eq!(
        severities(&findings_in(
            "ENT-022",
            &t("confirmedCompromised", "low", "generic"),
            &[]
        )),
        [Severity::High]
    );
    assert_eq!(
        severities(&findings_in(
            "ENT-022",
            &t("remediated", "none", "generic"),
            &[]
        )),
        [Severity::Info]
    );
}

#[test]
fn ent015_policy_blocks_are_low_context() {
    let f = findings(
        "ENT-015",
        vec![
            si("max", "203.0.113.3", 0, 53003),
            si("max", "203.0.113.3", 1, 530035),
        ],
        &[],
    );
    assert_eq!(severities(&f), [Severity::Low]);
    assert_eq!(f[0].evidence_count, 2);
    // Benign look-alike: an MFA interrupt is not a policy block.
    assert!(findings("ENT-015", vec![si("max", "203.0.113.3", 0, 50076)], &[]).is_empty());
}

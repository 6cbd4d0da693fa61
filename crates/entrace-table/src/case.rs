//! The case (`entrace_case::records`) read from the stage 1 Parquet tables:
//! only the columns stage 2 uses, each named once here and checked against
//! the stage-1 declarations by a test.

use std::path::Path;

use rayon::prelude::*;

use crate::read::{Frame, TableReader};
use entrace_case::records::{
    norm_id, Audit, HistoryItem, RiskDetection, RiskyUser, SignIn, Tables, Target,
};
use entrace_model::error::Result;

/// Empty strings become `None` (Graph writes `""` for unknown cities and states).
fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn zip_time(t: Vec<Option<i64>>) -> Vec<i64> {
    // Stage 1 rejects records without an event time, so nulls do not occur in
    // entrace tables; a foreign table's nulls sort first.
    t.into_iter().map(|v| v.unwrap_or(i64::MIN)).collect()
}

/// The fields stage 2 reads of `signins.applied_conditional_access_policies`.
const POLICY_FIELDS: &[&str] = &["display_name", "result"];
/// The fields stage 2 reads of `directory_audits.target_resources`.
const TARGET_FIELDS: &[&str] = &["id", "display_name", "type", "user_principal_name"];
/// The fields stage 2 reads of each target's `modified_properties`.
const MODIFIED_PROPERTY_FIELDS: &[&str] = &["display_name", "old_value", "new_value"];
/// The fields stage 2 reads of `risk_detections.additional_info_parsed`.
const ADDITIONAL_INFO_FIELDS: &[&str] = &["key", "value"];

/// Reads `columns` of `table` one row group at a time, on every core of the
/// current pool, and turns each into records with `records`, kept in table
/// order. Memory holds the records and, per worker, one row group's columns.
fn by_row_group<T: Send>(
    dir: &Path,
    table: &str,
    columns: &[&str],
    records: fn(&Frame) -> Result<Vec<T>>,
) -> Result<Vec<T>> {
    let reader = TableReader::open(dir, table, columns)?;
    let parts = (0..reader.row_group_count())
        .into_par_iter()
        .map(|g| records(&reader.read_row_group(g)?))
        .collect::<Result<Vec<Vec<T>>>>()?;
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        out.extend(part);
    }
    Ok(out)
}

/// Loads the five entity tables of an output directory.
pub fn load(dir: &Path) -> Result<Tables> {
    Ok(Tables {
        sign_ins: load_sign_ins(dir, SIGNINS_COLUMNS)?,
        audits: load_audits(dir)?,
        detections: by_row_group(
            dir,
            "risk_detections",
            RISK_DETECTIONS_COLUMNS,
            detections_of,
        )?,
        risky_users: by_row_group(dir, "risky_users", RISKY_USERS_COLUMNS, risky_users_of)?,
        history: by_row_group(
            dir,
            "risky_user_history",
            RISKY_USER_HISTORY_COLUMNS,
            history_of,
        )?,
    })
}

/// The columns of `signins.parquet` stage 2 reads (checked against the
/// stage-1 declarations by a test).
pub(crate) const SIGNINS_COLUMNS: &[&str] = &[
    "id",
    "created_date_time",
    "user_id",
    "user_principal_name",
    "user_display_name",
    "app_display_name",
    "ip_address",
    "location_city",
    "location_country_or_region",
    "client_app_used",
    "device_detail_browser",
    "device_detail_operating_system",
    "status_error_code",
    "status_failure_reason",
    "status_additional_details",
    "correlation_id",
    "session_id",
    "risk_level_during_sign_in",
    "risk_state",
    "app_id",
    "user_agent",
    "autonomous_system_number",
    "location_state",
    "location_geo_coordinates_latitude",
    "location_geo_coordinates_longitude",
    "is_interactive",
    "sign_in_event_types",
    "risk_event_types",
    "risk_event_types_v2",
    "authentication_protocol",
    "original_transfer_method",
    "cross_tenant_access_type",
    "home_tenant_id",
    "resource_tenant_id",
    "applied_conditional_access_policies",
    "ingest_api_version",
];

/// The columns of `directory_audits.parquet` stage 2 reads (checked against the
/// stage-1 declarations by a test).
pub(crate) const DIRECTORY_AUDITS_COLUMNS: &[&str] = &[
    "id",
    "activity_date_time",
    "activity_display_name",
    "category",
    "correlation_id",
    "logged_by_service",
    "result",
    "result_reason",
    "initiated_by_user_id",
    "initiated_by_user_user_principal_name",
    "initiated_by_user_ip_address",
    "initiated_by_app_display_name",
    "target_resources",
];

/// The columns of `risk_detections.parquet` stage 2 reads (checked against the
/// stage-1 declarations by a test).
pub(crate) const RISK_DETECTIONS_COLUMNS: &[&str] = &[
    "id",
    "activity_date_time",
    "user_id",
    "user_principal_name",
    "risk_event_type",
    "risk_level",
    "risk_state",
    "risk_detail",
    "detection_timing_type",
    "ip_address",
    "location_city",
    "location_country_or_region",
    "request_id",
    "correlation_id",
    "source",
    "mitre_technique_id",
    "additional_info_parsed",
];

/// The columns of `risky_users.parquet` stage 2 reads (checked against the
/// stage-1 declarations by a test).
pub(crate) const RISKY_USERS_COLUMNS: &[&str] = &[
    "id",
    "risk_last_updated_date_time",
    "user_principal_name",
    "risk_level",
    "risk_state",
    "risk_detail",
];

/// The columns of `risky_user_history.parquet` stage 2 reads (checked against the
/// stage-1 declarations by a test).
pub(crate) const RISKY_USER_HISTORY_COLUMNS: &[&str] = &[
    "id",
    "risk_last_updated_date_time",
    "user_id",
    "user_principal_name",
    "risk_level",
    "risk_state",
    "risk_detail",
    "initiated_by",
    "activity_risk_event_types",
    "activity_event_types",
];

/// The columns of a frame where its read asked for them, else nulls (empty
/// lists): a projected load ([`load_sign_ins`]) builds records whose other
/// fields stay empty. A column asked for but absent from the table is still
/// an error, raised when the table is opened.
struct Partial<'a>(&'a Frame);

impl Partial<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    /// `read` of column `name` when it was read, else `empty` for every row.
    fn or_empty<T: Clone>(
        &self,
        name: &str,
        empty: T,
        read: impl FnOnce(&Frame) -> Result<Vec<T>>,
    ) -> Result<Vec<T>> {
        if self.0.holds(name) {
            read(self.0)
        } else {
            Ok(vec![empty; self.len()])
        }
    }
    fn strs(&self, name: &str) -> Result<Vec<Option<String>>> {
        self.or_empty(name, None, |f| f.strs(name))
    }
    fn times(&self, name: &str) -> Result<Vec<Option<i64>>> {
        let exact = crate::column::ns_companion(name);
        self.or_empty(&exact, None, |f| f.times(name))
    }
    fn ints(&self, name: &str) -> Result<Vec<Option<i64>>> {
        self.or_empty(name, None, |f| f.ints(name))
    }
    fn floats(&self, name: &str) -> Result<Vec<Option<f64>>> {
        self.or_empty(name, None, |f| f.floats(name))
    }
    fn bools(&self, name: &str) -> Result<Vec<Option<bool>>> {
        self.or_empty(name, None, |f| f.bools(name))
    }
    fn str_lists(&self, name: &str) -> Result<Vec<Vec<String>>> {
        self.or_empty(name, Vec::new(), |f| f.str_lists(name))
    }
    fn struct_lists(
        &self,
        name: &str,
        fields: &[&str],
        nested: Option<(&str, &[&str])>,
    ) -> Result<Vec<Vec<crate::read::Item>>> {
        self.or_empty(name, Vec::new(), |f| f.struct_lists(name, fields, nested))
    }
}

/// The sign-in columns the reports read (their statistics and display
/// names): a much narrower read than the analysis's [`SIGNINS_COLUMNS`].
pub const SIGNINS_REPORT_COLUMNS: &[&str] = &[
    "id",
    "created_date_time",
    "user_id",
    "user_principal_name",
    "user_display_name",
    "app_display_name",
    "ip_address",
    "location_country_or_region",
    "status_error_code",
];

/// The sign-ins of `dir` with only `columns` (a subset of
/// [`SIGNINS_COLUMNS`]) read; the fields of the other columns are left empty.
pub fn load_sign_ins(dir: &Path, columns: &[&str]) -> Result<Vec<SignIn>> {
    by_row_group(dir, "signins", columns, sign_ins_of)
}

/// Folds the sign-ins of `dir`, with only `columns` read, one row group at
/// a time on every core of the current pool: `fold` adds a row group's
/// records (and the table position of its first row) to an accumulator
/// started by `init`, and `merge` joins two accumulators. Which row groups
/// share an accumulator, and the order accumulators are merged in, depend
/// on the scheduling: `merge` must not care (sums, unions, a maximum).
/// Memory holds the accumulators and, per worker, one row group, never the
/// whole table.
pub fn fold_sign_ins<A: Send>(
    dir: &Path,
    columns: &[&str],
    init: impl Fn() -> A + Sync + Send,
    fold: impl Fn(A, u64, Vec<SignIn>) -> A + Sync + Send,
    merge: impl Fn(A, A) -> A + Sync + Send,
) -> Result<A> {
    let reader = TableReader::open(dir, "signins", columns)?;
    let starts = reader.row_group_starts();
    starts
        .par_iter()
        .enumerate()
        .try_fold(&init, |acc, (g, &start)| {
            Ok(fold(acc, start, sign_ins_of(&reader.read_row_group(g)?)?))
        })
        .try_reduce(&init, |a, b| Ok(merge(a, b)))
}

/// The directory audits of `dir`, as [`load`] reads them.
pub fn load_audits(dir: &Path) -> Result<Vec<Audit>> {
    by_row_group(dir, "directory_audits", DIRECTORY_AUDITS_COLUMNS, audits_of)
}

pub(crate) fn sign_ins_of(f: &Frame) -> Result<Vec<SignIn>> {
    let f = &Partial(f);
    let mut id = f.strs("id")?.into_iter();
    let mut time = zip_time(f.times("created_date_time")?).into_iter();
    let mut user_id = f.strs("user_id")?.into_iter();
    let mut upn = f.strs("user_principal_name")?.into_iter();
    let mut display = f.strs("user_display_name")?.into_iter();
    let mut app = f.strs("app_display_name")?.into_iter();
    let mut ip = f.strs("ip_address")?.into_iter();
    let mut city = f.strs("location_city")?.into_iter();
    let mut country = f.strs("location_country_or_region")?.into_iter();
    let mut client = f.strs("client_app_used")?.into_iter();
    let mut browser = f.strs("device_detail_browser")?.into_iter();
    let mut os = f.strs("device_detail_operating_system")?.into_iter();
    let mut code = f.ints("status_error_code")?.into_iter();
    let mut reason = f.strs("status_failure_reason")?.into_iter();
    let mut details = f.strs("status_additional_details")?.into_iter();
    let mut corr = f.strs("correlation_id")?.into_iter();
    let mut session = f.strs("session_id")?.into_iter();
    let mut level = f.strs("risk_level_during_sign_in")?.into_iter();
    let mut state = f.strs("risk_state")?.into_iter();
    let mut app_id = f.strs("app_id")?.into_iter();
    let mut ua = f.strs("user_agent")?.into_iter();
    let mut asn = f.ints("autonomous_system_number")?.into_iter();
    let mut loc_state = f.strs("location_state")?.into_iter();
    let mut lat = f.floats("location_geo_coordinates_latitude")?.into_iter();
    let mut lon = f.floats("location_geo_coordinates_longitude")?.into_iter();
    let mut interactive = f.bools("is_interactive")?.into_iter();
    let mut event_types = f.str_lists("sign_in_event_types")?.into_iter();
    let mut risk_v1 = f.str_lists("risk_event_types")?.into_iter();
    let mut risk_v2 = f.str_lists("risk_event_types_v2")?.into_iter();
    let mut protocol = f.strs("authentication_protocol")?.into_iter();
    let mut transfer = f.strs("original_transfer_method")?.into_iter();
    let mut cross = f.strs("cross_tenant_access_type")?.into_iter();
    let mut home = f.strs("home_tenant_id")?.into_iter();
    let mut resource = f.strs("resource_tenant_id")?.into_iter();
    let mut policies = f
        .struct_lists("applied_conditional_access_policies", POLICY_FIELDS, None)?
        .into_iter();
    let mut api = f.strs("ingest_api_version")?.into_iter();
    let mut out = Vec::with_capacity(f.len());
    for _ in 0..f.len() {
        let mut risk_event_types = risk_v2.next().unwrap_or_default();
        for t in risk_v1.next().unwrap_or_default() {
            if !risk_event_types.contains(&t) && t != "none" {
                risk_event_types.push(t);
            }
        }
        let event_types = event_types.next().unwrap_or_default();
        let is_interactive = interactive.next().flatten().or_else(|| {
            (!event_types.is_empty()).then(|| event_types.iter().any(|t| t == "interactiveUser"))
        });
        let ca_policies_failed = policies
            .next()
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.fields.get(1).cloned().flatten().as_deref() == Some("failure"))
            .filter_map(|p| p.fields.into_iter().next().flatten())
            .collect();
        out.push(SignIn {
            id: id.next().flatten().unwrap_or_default(),
            time: time.next().unwrap_or_default(),
            user_id: norm_id(user_id.next().flatten()),
            upn: non_empty(upn.next().flatten()),
            display_name: non_empty(display.next().flatten()),
            app: non_empty(app.next().flatten()),
            ip: non_empty(ip.next().flatten()),
            city: non_empty(city.next().flatten()),
            country: non_empty(country.next().flatten()),
            client_app_used: non_empty(client.next().flatten()),
            browser: non_empty(browser.next().flatten()),
            os: non_empty(os.next().flatten()),
            error_code: code.next().flatten().and_then(|c| i32::try_from(c).ok()),
            failure_reason: non_empty(reason.next().flatten()),
            additional_details: non_empty(details.next().flatten()),
            correlation_id: norm_id(corr.next().flatten()),
            session_id: norm_id(session.next().flatten()),
            risk_level: non_empty(level.next().flatten()),
            risk_state: non_empty(state.next().flatten()),
            app_id: norm_id(app_id.next().flatten()),
            user_agent: non_empty(ua.next().flatten()),
            asn: asn.next().flatten().and_then(|a| i32::try_from(a).ok()),
            state: non_empty(loc_state.next().flatten()),
            latitude: lat.next().flatten(),
            longitude: lon.next().flatten(),
            is_interactive,
            risk_event_types,
            authentication_protocol: non_empty(protocol.next().flatten()),
            original_transfer_method: non_empty(transfer.next().flatten()),
            cross_tenant_access_type: non_empty(cross.next().flatten()),
            home_tenant_id: norm_id(home.next().flatten()),
            resource_tenant_id: norm_id(resource.next().flatten()),
            ca_policies_failed,
            api_version: non_empty(api.next().flatten()),
        });
    }
    Ok(out)
}

fn audits_of(f: &Frame) -> Result<Vec<Audit>> {
    let mut id = f.strs("id")?.into_iter();
    let mut time = zip_time(f.times("activity_date_time")?).into_iter();
    let mut activity = f.strs("activity_display_name")?.into_iter();
    let mut category = f.strs("category")?.into_iter();
    let mut corr = f.strs("correlation_id")?.into_iter();
    let mut service = f.strs("logged_by_service")?.into_iter();
    let mut result = f.strs("result")?.into_iter();
    let mut reason = f.strs("result_reason")?.into_iter();
    let mut actor_id = f.strs("initiated_by_user_id")?.into_iter();
    let mut actor_upn = f.strs("initiated_by_user_user_principal_name")?.into_iter();
    let mut actor_ip = f.strs("initiated_by_user_ip_address")?.into_iter();
    let mut actor_app = f.strs("initiated_by_app_display_name")?.into_iter();
    let mut targets = f
        .struct_lists(
            "target_resources",
            TARGET_FIELDS,
            Some(("modified_properties", MODIFIED_PROPERTY_FIELDS)),
        )?
        .into_iter();
    let mut out = Vec::with_capacity(f.len());
    for _ in 0..f.len() {
        let targets = targets
            .next()
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let mut fields = item.fields.into_iter();
                Target {
                    id: norm_id(fields.next().flatten()),
                    display_name: non_empty(fields.next().flatten()),
                    kind: non_empty(fields.next().flatten()),
                    upn: non_empty(fields.next().flatten()),
                    modified: item
                        .nested
                        .into_iter()
                        .map(|m| {
                            let mut v = m.fields.into_iter();
                            (v.next().flatten(), v.next().flatten(), v.next().flatten())
                        })
                        .collect(),
                }
            })
            .collect();
        out.push(Audit {
            id: id.next().flatten().unwrap_or_default(),
            time: time.next().unwrap_or_default(),
            activity: non_empty(activity.next().flatten()),
            category: non_empty(category.next().flatten()),
            correlation_id: norm_id(corr.next().flatten()),
            service: non_empty(service.next().flatten()),
            result: non_empty(result.next().flatten()),
            result_reason: non_empty(reason.next().flatten()),
            actor_id: norm_id(actor_id.next().flatten()),
            actor_upn: non_empty(actor_upn.next().flatten()),
            actor_ip: non_empty(actor_ip.next().flatten()),
            actor_app: non_empty(actor_app.next().flatten()),
            targets,
        });
    }
    Ok(out)
}

fn detections_of(f: &Frame) -> Result<Vec<RiskDetection>> {
    let mut id = f.strs("id")?.into_iter();
    let mut time = zip_time(f.times("activity_date_time")?).into_iter();
    let mut user_id = f.strs("user_id")?.into_iter();
    let mut upn = f.strs("user_principal_name")?.into_iter();
    let mut event = f.strs("risk_event_type")?.into_iter();
    let mut level = f.strs("risk_level")?.into_iter();
    let mut state = f.strs("risk_state")?.into_iter();
    let mut detail = f.strs("risk_detail")?.into_iter();
    let mut timing = f.strs("detection_timing_type")?.into_iter();
    let mut ip = f.strs("ip_address")?.into_iter();
    let mut city = f.strs("location_city")?.into_iter();
    let mut country = f.strs("location_country_or_region")?.into_iter();
    let mut request = f.strs("request_id")?.into_iter();
    let mut corr = f.strs("correlation_id")?.into_iter();
    let mut source = f.strs("source")?.into_iter();
    let mut mitre_id = f.strs("mitre_technique_id")?.into_iter();
    let mut info = f
        .struct_lists("additional_info_parsed", ADDITIONAL_INFO_FIELDS, None)?
        .into_iter();
    let mut out = Vec::with_capacity(f.len());
    for _ in 0..f.len() {
        let mut mitre: Vec<String> = Vec::new();
        let from_info = info
            .next()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|kv| {
                let mut f = kv.fields.into_iter();
                let key = f.next().flatten()?;
                key.eq_ignore_ascii_case("mitreTechniques")
                    .then(|| f.next().flatten())
                    .flatten()
            });
        for list in from_info.chain(mitre_id.next().flatten()) {
            for t in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if !mitre.iter().any(|m| m == t) {
                    mitre.push(t.to_owned());
                }
            }
        }
        out.push(RiskDetection {
            id: id.next().flatten().unwrap_or_default(),
            time: time.next().unwrap_or_default(),
            user_id: norm_id(user_id.next().flatten()),
            upn: non_empty(upn.next().flatten()),
            event_type: non_empty(event.next().flatten()),
            risk_level: non_empty(level.next().flatten()),
            risk_state: non_empty(state.next().flatten()),
            risk_detail: non_empty(detail.next().flatten()),
            timing: non_empty(timing.next().flatten()),
            ip: non_empty(ip.next().flatten()),
            city: non_empty(city.next().flatten()),
            country: non_empty(country.next().flatten()),
            request_id: norm_id(request.next().flatten()),
            correlation_id: norm_id(corr.next().flatten()),
            source: non_empty(source.next().flatten()),
            mitre,
        });
    }
    Ok(out)
}

fn risky_users_of(f: &Frame) -> Result<Vec<RiskyUser>> {
    let mut id = f.strs("id")?.into_iter();
    let mut time = zip_time(f.times("risk_last_updated_date_time")?).into_iter();
    let mut upn = f.strs("user_principal_name")?.into_iter();
    let mut level = f.strs("risk_level")?.into_iter();
    let mut state = f.strs("risk_state")?.into_iter();
    let mut detail = f.strs("risk_detail")?.into_iter();
    let mut out = Vec::with_capacity(f.len());
    for _ in 0..f.len() {
        out.push(RiskyUser {
            id: norm_id(id.next().flatten()).unwrap_or_default(),
            time: time.next().unwrap_or_default(),
            upn: non_empty(upn.next().flatten()),
            risk_level: non_empty(level.next().flatten()),
            risk_state: non_empty(state.next().flatten()),
            risk_detail: non_empty(detail.next().flatten()),
        });
    }
    Ok(out)
}

fn history_of(f: &Frame) -> Result<Vec<HistoryItem>> {
    let mut id = f.strs("id")?.into_iter();
    let mut time = zip_time(f.times("risk_last_updated_date_time")?).into_iter();
    let mut user_id = f.strs("user_id")?.into_iter();
    let mut upn = f.strs("user_principal_name")?.into_iter();
    let mut level = f.strs("risk_level")?.into_iter();
    let mut state = f.strs("risk_state")?.into_iter();
    let mut detail = f.strs("risk_detail")?.into_iter();
    let mut initiated = f.strs("initiated_by")?.into_iter();
    let mut risk_events = f.str_lists("activity_risk_event_types")?.into_iter();
    let mut events = f.str_lists("activity_event_types")?.into_iter();
    let mut out = Vec::with_capacity(f.len());
    for _ in 0..f.len() {
        let mut event_types = risk_events.next().unwrap_or_default();
        for e in events.next().unwrap_or_default() {
            if !event_types.contains(&e) {
                event_types.push(e);
            }
        }
        out.push(HistoryItem {
            id: id.next().flatten().unwrap_or_default(),
            time: time.next().unwrap_or_default(),
            user_id: norm_id(user_id.next().flatten()),
            upn: non_empty(upn.next().flatten()),
            risk_level: non_empty(level.next().flatten()),
            risk_state: non_empty(state.next().flatten()),
            risk_detail: non_empty(detail.next().flatten()),
            initiated_by: norm_id(initiated.next().flatten()),
            event_types,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod column_tests {
    use super::*;

    #[test]
    fn a_projected_load_fills_what_it_read_and_nothing_else() {
        use crate::dedup::plan;
        use crate::rebuild::tests::parsed;
        use crate::rebuild::Rebuild;
        use entrace_model::EntityKind;

        for c in SIGNINS_REPORT_COLUMNS {
            assert!(
                SIGNINS_COLUMNS.contains(c),
                "{c} is not a column stage 2 reads"
            );
        }
        let text = r#"{"id":"s-1","createdDateTime":"2025-03-17T10:00:00Z","userId":"0B3C-AA","userPrincipalName":"a@contoso.example","ipAddress":"198.51.100.1","location":{"city":"Tokyo","countryOrRegion":"JP"},"status":{"errorCode":50126,"failureReason":"Invalid password"}}"#;
        let (blocks, texts) = parsed(&[text.to_string()]);
        let sources = [0];
        let kept = plan(&blocks, &sources).kept;
        let dir = tempfile::tempdir().unwrap();
        let rebuild = Rebuild {
            kind: EntityKind::SignIn,
            blocks: &blocks,
            sources: &sources,
            texts: &texts,
            keep_raw: false,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        rebuild
            .write(&kept, &pool, &dir.path().join("signins.parquet"))
            .unwrap();

        let full = load_sign_ins(dir.path(), SIGNINS_COLUMNS).unwrap();
        let narrow = load_sign_ins(dir.path(), SIGNINS_REPORT_COLUMNS).unwrap();
        assert_eq!((full.len(), narrow.len()), (1, 1));
        let (f, n) = (&full[0], &narrow[0]);
        // Read by both, normalised alike.
        assert_eq!(n.user_id.as_deref(), Some("0b3c-aa"));
        assert_eq!(
            (n.user_id.as_deref(), n.time),
            (f.user_id.as_deref(), f.time)
        );
        assert_eq!(n.country.as_deref(), Some("JP"));
        assert_eq!(n.error_code, Some(50126));
        assert_eq!(n.ip.as_deref(), Some("198.51.100.1"));
        // Not read by the narrow load: empty there, present in the full one.
        assert_eq!(f.city.as_deref(), Some("Tokyo"));
        assert_eq!(n.city, None);
        assert_eq!(f.failure_reason.as_deref(), Some("Invalid password"));
        assert_eq!(n.failure_reason, None);
    }

    #[test]
    fn every_column_stage_2_reads_is_one_stage_1_writes() {
        let written = crate::schema::columns();
        for (table, wanted) in [
            ("signins", SIGNINS_COLUMNS),
            ("directory_audits", DIRECTORY_AUDITS_COLUMNS),
            ("risk_detections", RISK_DETECTIONS_COLUMNS),
            ("risky_users", RISKY_USERS_COLUMNS),
            ("risky_user_history", RISKY_USER_HISTORY_COLUMNS),
        ] {
            for column in wanted {
                assert!(
                    written
                        .iter()
                        .any(|c| c.table == table && c.column == *column),
                    "{table}.{column} is read by stage 2 but not declared by stage 1"
                );
            }
        }
    }

    /// The `name: type` fields of a `list<struct<…>>` type as `entrace
    /// schema` prints it, split at the top level only.
    fn struct_fields(dtype: &str) -> Vec<(String, String)> {
        let inner = dtype
            .strip_prefix("list<struct<")
            .and_then(|t| t.strip_suffix(">>"))
            .unwrap_or_else(|| panic!("{dtype} is not a list<struct<…>>"));
        let (mut fields, mut depth, mut start) = (Vec::new(), 0usize, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                ',' if depth == 0 => {
                    fields.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        fields.push(&inner[start..]);
        fields
            .into_iter()
            .map(|f| {
                let (name, dtype) = f.trim().split_once(": ").unwrap();
                (name.to_string(), dtype.to_string())
            })
            .collect()
    }

    #[test]
    fn every_struct_field_stage_2_reads_is_one_stage_1_writes() {
        let written = crate::schema::columns();
        let dtype = |table: &str, column: &str| {
            written
                .iter()
                .find(|c| c.table == table && c.column == column)
                .map(|c| c.dtype.to_string())
                .unwrap_or_else(|| panic!("{table}.{column} is not declared"))
        };
        let check = |what: &str, fields: &[(String, String)], wanted: &[&str]| {
            for name in wanted {
                assert!(
                    fields.iter().any(|(n, t)| n == name && t == "string"),
                    "{what}.{name} is read by stage 2 as text but not written so by stage 1"
                );
            }
        };
        for (table, column, wanted) in [
            (
                "signins",
                "applied_conditional_access_policies",
                POLICY_FIELDS,
            ),
            ("directory_audits", "target_resources", TARGET_FIELDS),
            (
                "risk_detections",
                "additional_info_parsed",
                ADDITIONAL_INFO_FIELDS,
            ),
        ] {
            check(column, &struct_fields(&dtype(table, column)), wanted);
        }
        let targets = struct_fields(&dtype("directory_audits", "target_resources"));
        let (_, modified) = targets
            .iter()
            .find(|(n, _)| n == "modified_properties")
            .expect("target_resources has modified_properties");
        check(
            "modified_properties",
            &struct_fields(modified),
            MODIFIED_PROPERTY_FIELDS,
        );
    }
}

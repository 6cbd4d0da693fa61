//! The tables stage 2 computes, each declared once with its row type:
//! [`timeline::Timeline`], [`per_user::PerUser`], [`findings::Findings`] and
//! [`coverage::CoverageTable`]. The analysis builds the rows, the reports and
//! `entrace timeline` read them back, and `entrace schema` documents them, all
//! from these declarations.

pub mod coverage;
pub mod findings;
pub mod per_user;
pub mod timeline;

#[cfg(test)]
mod tests {
    use super::per_user::*;
    use super::timeline::*;
    use entrace_case::correlate::LinkBasis;
    use entrace_case::identity::IdentityBasis;
    use entrace_model::EntityKind;
    use entrace_model::Severity;

    fn row(i: i64) -> TimelineRow {
        TimelineRow {
            user_id: (i % 2 == 0).then(|| format!("u-{i}")),
            user_principal_name: Some(format!("user{i}@contoso.example")),
            time: 1_742_234_070_123_456_700 + i,
            entity: EntityKind::ALL[i as usize % 5],
            record_id: format!("r-{i}"),
            role: [Role::Subject, Role::Actor, Role::Target, Role::SelfService][i as usize % 4],
            action: "smart lockout (50053)".into(),
            result: (i != 1).then(|| "failure".into()),
            error_code: (i == 0).then_some(50053),
            ip_address: None,
            country: Some("JP".into()),
            city: Some("東京".into()),
            app: None,
            client: None,
            risk_level: None,
            correlation_id: None,
            session_key: Some("sid:x".into()),
            linked_record_ids: (0..i).map(|k| format!("l-{k}")).collect(),
            link_basis: [
                None,
                Some(LinkBasis::RequestId),
                Some(LinkBasis::UserIpTime),
            ][i as usize % 3],
            identity_basis: IdentityBasis::ObjectId,
            detail: Some("a \"quoted\" <b>reason</b>".into()),
            finding_ids: Vec::new(),
        }
    }

    #[test]
    fn declared_tables_read_back_what_they_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<TimelineRow> = (0..7).map(row).collect();
        crate::output::write_parquet(
            &dir.path().join(Timeline::FILE),
            &Timeline::frame(&rows).unwrap(),
        )
        .unwrap();
        assert_eq!(Timeline::read(dir.path()).unwrap(), rows);

        let users = vec![
            UserSummary {
                user_id: Some("u-1".into()),
                last_success: Some(5),
                sign_ins_blocked: 3,
                distinct_ips: 2,
                ip_addresses: vec!["198.51.100.1".into(), "203.0.113.9".into()],
                max_finding_severity: Some(Severity::High),
                ..UserSummary::default()
            },
            UserSummary::default(),
        ];
        crate::output::write_parquet(
            &dir.path().join(PerUser::FILE),
            &PerUser::frame(&users).unwrap(),
        )
        .unwrap();
        assert_eq!(PerUser::read(dir.path()).unwrap(), users);
        // The columns are the declared ones, each timestamp with its pair.
        let names: Vec<&str> = Timeline::COLUMNS.iter().map(|c| c.0).collect();
        assert_eq!(
            names[..4],
            ["user_id", "user_principal_name", "time", "entity"]
        );
    }

    #[test]
    fn a_table_of_another_shape_is_an_error_naming_file_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = vec![row(0)];
        rows[0].action = "x".into();
        let mut df = Timeline::frame(&rows).unwrap();
        use polars::prelude::{IntoColumn, NamedFrom, Series};
        df.0.replace("role", Series::new("role".into(), ["owner"]).into_column())
            .unwrap();
        crate::output::write_parquet(&dir.path().join(Timeline::FILE), &df).unwrap();
        let err = Timeline::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("timeline.parquet: column role"), "{err}");
        assert!(err.contains("unknown value \"owner\""), "{err}");
    }

    /// Seven timeline rows written as two row groups (rows 0–2 and 3–6), the
    /// times of the second group an hour after the first.
    fn two_row_groups(dir: &std::path::Path) -> Vec<TimelineRow> {
        const HOUR: i64 = 3_600_000_000_000;
        let rows: Vec<TimelineRow> = (0..7)
            .map(|i| {
                let mut r = row(i);
                r.time += if i < 3 { 0 } else { HOUR };
                r
            })
            .collect();
        let df = Timeline::frame(&rows).unwrap().0;
        let path = dir.join(Timeline::FILE);
        let mut file = crate::output::parquet::TableFile::create(&path, df.schema()).unwrap();
        file.write(df.slice(0, 3)).unwrap();
        file.write(df.slice(3, 4)).unwrap();
        file.finish().unwrap();
        rows
    }

    #[test]
    fn the_reader_reads_row_groups_alone_and_prunes_them_by_time() {
        use crate::read::TableReader;
        let dir = tempfile::tempdir().unwrap();
        let rows = two_row_groups(dir.path());
        let reader = TableReader::open(dir.path(), "timeline", &["record_id", "time"]).unwrap();
        assert_eq!((reader.rows(), reader.row_group_count()), (7, 2));
        let second = reader.read_row_group(1).unwrap();
        assert_eq!(
            second.strs("record_id").unwrap(),
            ["r-3", "r-4", "r-5", "r-6"].map(|s| Some(s.to_string()))
        );
        // The `_ns` companion was read with its column, exactly.
        let times: Vec<Option<i64>> = rows[3..].iter().map(|r| Some(r.time)).collect();
        assert_eq!(second.times("time").unwrap(), times);
        // A column outside the projection is an error, not a silent empty.
        let err = second.strs("action").unwrap_err().to_string();
        assert!(err.contains("timeline.parquet: column action"), "{err}");

        let first_hour = (rows[0].time, rows[0].time + 3_600_000_000_000);
        assert_eq!(
            reader.row_groups_overlapping("time", first_hour.0, first_hour.1),
            [0]
        );
        let last = rows[6].time;
        assert_eq!(reader.row_groups_overlapping("time", last, last + 1), [1]);
        assert_eq!(
            reader.row_groups_overlapping("time", i64::MIN, i64::MAX),
            [0, 1]
        );
        assert!(reader
            .row_groups_overlapping("time", last + 1, i64::MAX)
            .is_empty());
        // Whole and by groups read the same rows.
        let whole = reader.read().unwrap();
        let parts = reader.read_groups(vec![0, 1]).unwrap();
        assert_eq!(
            whole.strs("record_id").unwrap(),
            parts.strs("record_id").unwrap()
        );
        assert_eq!(whole.len(), 7);
    }

    #[test]
    fn a_missing_column_or_a_column_of_another_type_names_file_and_column() {
        use crate::read::{Frame, TableReader};
        let dir = tempfile::tempdir().unwrap();
        two_row_groups(dir.path());
        let err = TableReader::open(dir.path(), "timeline", &["user_id", "no_such_column"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("timeline.parquet: column no_such_column"),
            "{err}"
        );
        assert!(err.contains("not in the table"), "{err}");
        let f = Frame::read(dir.path(), "timeline", &["error_code", "action"]).unwrap();
        let err = f.strs("error_code").unwrap_err().to_string();
        assert!(err.contains("column error_code"), "{err}");
        assert!(err.contains("expected a text column, found Int32"), "{err}");
        let err = f.ints("action").unwrap_err().to_string();
        assert!(err.contains("expected an integer column"), "{err}");
        assert_eq!(f.ints("error_code").unwrap()[0], Some(50053));
    }

    #[test]
    fn writing_rows_group_by_group_gives_the_file_writing_them_whole_gives() {
        use crate::output::parquet::{write_rows_in, write_table_in};
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<TimelineRow> = (0..8).map(row).collect();
        let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
        let by_groups = write_rows_in(&a, &rows, Timeline::frame, 3).unwrap();
        let whole = write_table_in(&b, &Timeline::frame(&rows).unwrap().0, 3).unwrap();
        assert_eq!(by_groups, whole);
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let reader = crate::read::TableReader::open(dir.path(), "a", &["record_id"]).unwrap();
        assert_eq!(reader.row_group_count(), 3);
        // No rows: the file still has the table's schema.
        write_rows_in(&a, &rows[..0], Timeline::frame, 3).unwrap();
        std::fs::rename(&a, dir.path().join(Timeline::FILE)).unwrap();
        assert!(Timeline::read(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn rows_written_in_parts_give_the_file_of_all_of_them_at_once() {
        use crate::output::parquet::{write_rows_in, RowsWriter};
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<TimelineRow> = (0..8).map(row).collect();
        let whole =
            write_rows_in(&dir.path().join("a.parquet"), &rows, Timeline::frame, 3).unwrap();
        // Parts that cross row-group boundaries, and an empty part.
        for cuts in [&[0, 8][..], &[0, 2, 2, 7, 8], &[0, 3, 6, 8]] {
            let path = dir.path().join("b.parquet");
            let mut writer = RowsWriter::with_group(&path, Timeline::frame, 3);
            for part in cuts.windows(2) {
                writer
                    .write(rows[part[0]..part[1]].iter().cloned())
                    .unwrap();
            }
            assert_eq!(writer.rows(), 8);
            assert_eq!(writer.finish().unwrap(), whole, "{cuts:?}");
        }
        for n in [0, 2] {
            let path = dir.path().join("c.parquet");
            let mut writer = RowsWriter::with_group(&path, Timeline::frame, 3);
            writer.write(rows[..n].iter().cloned()).unwrap();
            let expected = write_rows_in(
                &dir.path().join("d.parquet"),
                &rows[..n],
                Timeline::frame,
                3,
            );
            assert_eq!(writer.finish().unwrap(), expected.unwrap(), "{n} rows");
        }
    }

    #[test]
    fn a_selected_read_decodes_the_marked_rows_across_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let rows = two_row_groups(dir.path());
        let keep = [true, false, false, true, false, false, true];
        let picked = Timeline::read_selected(dir.path(), &keep).unwrap();
        assert_eq!(picked, [rows[0].clone(), rows[3].clone(), rows[6].clone()]);
        let err = Timeline::read_selected(dir.path(), &keep[..3])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a selection of 3 rows for a table of 7"),
            "{err}"
        );
    }
}

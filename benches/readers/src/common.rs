//! What both readers produce and how it is checked: the columns stage 2
//! reads turned into plain Rust vectors (as entrace's `Frame` does), and a
//! digest of them so every library and every read mode can be compared.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

/// The columns read in every case (stage 2's sign-in columns; the
/// timestamp is read through its exact `_ns` companion, as `Frame::times`).
pub const COLS: &[&str] = &[
    "id",
    "created_date_time_ns",
    "user_id",
    "user_principal_name",
    "ip_address",
    "status_error_code",
    "app_display_name",
    "client_app_used",
    "location_country_or_region",
    "conditional_access_status",
    "risk_level_during_sign_in",
    "correlation_id",
];

/// The time column the filtered read tests.
pub const TIME_NS: &str = "created_date_time_ns";
/// The column whose distinct values are counted.
pub const USER: &str = "user_id";

/// The one-day window of the filtered read: [2025-03-10, 2025-03-11) UTC, in ns.
pub const LO: i64 = 1_741_564_800_000_000_000;
pub const HI: i64 = LO + 86_400_000_000_000;

/// One column as plain Rust values.
pub enum Col {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
}

impl Col {
    pub fn len(&self) -> usize {
        match self {
            Col::Str(v) => v.len(),
            Col::Int(v) => v.len(),
        }
    }

    fn extend(&mut self, other: Col) {
        match (self, other) {
            (Col::Str(a), Col::Str(b)) => a.extend(b),
            (Col::Int(a), Col::Int(b)) => a.extend(b),
            _ => panic!("column type changed between batches"),
        }
    }
}

/// The columns of [`COLS`], in that order.
pub struct Table {
    pub cols: Vec<Col>,
    /// `--raw`: decoded but not converted; only the row count is kept.
    pub raw_rows: Option<usize>,
}

impl Table {
    pub fn new(cols: Vec<Col>) -> Table {
        Table { cols, raw_rows: None }
    }

    pub fn empty() -> Table {
        Table::new(Vec::new())
    }

    pub fn raw(rows: usize) -> Table {
        Table { cols: Vec::new(), raw_rows: Some(rows) }
    }

    pub fn rows(&self) -> usize {
        self.cols.first().map_or(0, Col::len)
    }

    /// Appends `other`'s rows (moves its vectors' items).
    pub fn append(&mut self, other: Table) {
        if let Some(n) = other.raw_rows {
            self.raw_rows = Some(self.raw_rows.unwrap_or(0) + n);
            return;
        }
        if self.cols.is_empty() {
            *self = other;
            return;
        }
        for (a, b) in self.cols.iter_mut().zip(other.cols) {
            a.extend(b);
        }
    }

    /// Concatenates tables in order.
    pub fn concat(parts: Vec<Table>) -> Table {
        let total: usize = parts.iter().map(Table::rows).sum();
        if parts.iter().any(|t| t.raw_rows.is_some()) {
            return Table::raw(parts.iter().map(|t| t.raw_rows.unwrap_or(0)).sum());
        }
        let mut it = parts.into_iter();
        let Some(mut first) = it.next() else {
            return Table::empty();
        };
        for c in &mut first.cols {
            match c {
                Col::Str(v) => v.reserve(total - v.len()),
                Col::Int(v) => v.reserve(total - v.len()),
            }
        }
        for t in it {
            first.append(t);
        }
        first
    }
}

pub fn hasher() -> foldhash::fast::FoldHasher<'static> {
    foldhash::fast::FixedState::with_seed(0x5eed).build_hasher()
}

/// Row count, distinct users and an order-sensitive digest of every value,
/// accumulated batch by batch (so streaming keeps only this).
pub struct Summary {
    rows: u64,
    users: HashSet<String, foldhash::fast::RandomState>,
    hashers: Vec<foldhash::fast::FoldHasher<'static>>,
    text_bytes: u64,
}

impl Summary {
    pub fn new() -> Self {
        Summary {
            rows: 0,
            users: HashSet::default(),
            hashers: COLS.iter().map(|_| hasher()).collect(),
            text_bytes: 0,
        }
    }

    /// Counts rows that were decoded but not converted (`--raw`).
    pub fn add_rows(&mut self, n: usize) {
        self.rows += n as u64;
    }

    pub fn add(&mut self, t: &Table) {
        self.rows += t.rows() as u64;
        let user = COLS.iter().position(|c| *c == USER).unwrap();
        for (i, (c, h)) in t.cols.iter().zip(&mut self.hashers).enumerate() {
            match c {
                Col::Str(v) => {
                    for x in v {
                        match x {
                            None => h.write_u8(0),
                            Some(s) => {
                                h.write_u8(1);
                                h.write_usize(s.len());
                                h.write(s.as_bytes());
                                self.text_bytes += s.len() as u64;
                                if i == user && !self.users.contains(s.as_str()) {
                                    self.users.insert(s.clone());
                                }
                            }
                        }
                    }
                }
                Col::Int(v) => {
                    for x in v {
                        match x {
                            None => h.write_u8(0),
                            Some(n) => {
                                h.write_u8(2);
                                h.write_i64(*n);
                            }
                        }
                    }
                }
            }
        }
    }

    pub fn line(&self) -> String {
        let mut all = hasher();
        for h in &self.hashers {
            all.write_u64(h.finish());
        }
        format!(
            "rows={} users={} text_bytes={} digest={:016x}",
            self.rows,
            self.users.len(),
            self.text_bytes,
            all.finish()
        )
    }
}

/// Peak and current memory of this process, from /proc/self/status, in MiB.
#[derive(Default, Clone, Copy)]
pub struct Mem {
    pub anon_max: u64,
    pub file_max: u64,
}

fn status_kib(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl Mem {
    /// Records the current anonymous and file-backed (mmap) resident set.
    pub fn probe(&mut self) {
        self.anon_max = self.anon_max.max(status_kib("RssAnon:"));
        self.file_max = self.file_max.max(status_kib("RssFile:"));
    }

    pub fn line(&self) -> String {
        format!(
            "hwm_mib={} anon_probe_mib={} file_probe_mib={}",
            status_kib("VmHWM:") / 1024,
            self.anon_max / 1024,
            self.file_max / 1024
        )
    }
}

/// Options shared by the cases.
pub struct Opts {
    /// arrow-rs batch size.
    pub batch: usize,
    /// polars ParallelStrategy name (auto, none, columns, rowgroups).
    pub par: String,
    /// Filter strategy: none (read all, filter after), stats (row groups
    /// pruned by min/max), rowfilter (arrow RowFilter), both.
    pub prune: String,
    /// Skip the conversion to Rust vectors: measure the library's decode
    /// alone (rows are counted, nothing is digested).
    pub raw: bool,
    /// arrow-rs: decode top-level large_string columns as Utf8View.
    pub view: bool,
}

/// Row groups whose [min, max] of the time column meets [LO, HI).
pub fn overlaps(min: Option<i64>, max: Option<i64>) -> bool {
    match (min, max) {
        (Some(lo), Some(hi)) => hi >= LO && lo < HI,
        _ => true, // no statistics: must read it
    }
}

// Canonical encoding of one cell, shared by both libraries' checks.
pub fn text(h: &mut impl std::hash::Hasher, s: &str) {
    h.write_u8(1);
    h.write_usize(s.len());
    h.write(s.as_bytes());
}
pub fn int(h: &mut impl std::hash::Hasher, x: i64) {
    h.write_u8(2);
    h.write_i64(x);
}
pub fn float(h: &mut impl std::hash::Hasher, x: f64) {
    h.write_u8(3);
    h.write_u64(x.to_bits());
}
pub fn bin(h: &mut impl std::hash::Hasher, b: &[u8]) {
    h.write_u8(7);
    h.write_usize(b.len());
    h.write(b);
}


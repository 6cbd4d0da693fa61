//! The synthetic tenant: people, their offices, homes, devices and apps, and
//! the few with a special part to play (admins, travellers, self-service
//! password resets, new hires).
//!
//! Invariants: UPNs are unique `firstname.lastname[N]@contoso.onmicrosoft.com`
//! and never one of the fixtures' UPNs; home IPs are unique; a person has at
//! most one special role, so the benign stories never overlap.

use chrono::NaiveDate;

use super::catalog::{
    DeviceModel, AZURE_PORTAL, LAPTOPS, OFFICES, OFFICE_HOME, ONEDRIVE, OUTLOOK_MOBILE, PHONES,
    SEATTLE, SHAREPOINT, TEAMS, TOKYO,
};
use super::clock::{self, DAY};
use super::names::{JP_FAMILY, JP_GIVEN, RESERVED, WEST_FAMILY, WEST_GIVEN};
use super::rng::Rng;
use super::GenerateOptions;

/// The tenant's domain.
pub(crate) const DOMAIN: &str = "contoso.onmicrosoft.com";

/// A managed device.
#[derive(Debug)]
pub(crate) struct Device {
    /// Model: OS, browser, user agent, trust type.
    pub model: &'static DeviceModel,
    /// `deviceDetail.deviceId`.
    pub id: String,
    /// `deviceDetail.displayName`.
    pub name: String,
}

/// A business trip Tokyo → Seattle → Tokyo, in local date indexes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trip {
    /// Flies out after a short morning at the Tokyo office.
    pub depart: i64,
    /// Flies back after a short morning at the Seattle office.
    pub back: i64,
    /// Identity Protection flags the first sign-in in Seattle (unfamiliar features).
    pub flagged: bool,
}

/// What part a user plays besides ordinary work.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    /// Ordinary office work.
    Ordinary,
    /// An IT admin: always at the office, does the directory changes.
    Admin,
    /// Travels by plane.
    Traveller(Trip),
    /// Resets a forgotten password through SSPR one morning.
    SelfServiceReset(i64),
    /// Created by admin `by` on local date index `created`; active from the next working day.
    NewHire {
        /// Local date index of the "Add user" audit.
        created: i64,
        /// User index of the admin who adds them.
        by: usize,
    },
}

/// One member of the tenant.
#[derive(Debug)]
pub(crate) struct User {
    /// Object id.
    pub id: String,
    /// User principal name.
    pub upn: String,
    /// Display name.
    pub display: String,
    /// Index in `OFFICES`.
    pub office: usize,
    /// Index in the office's IPs.
    pub office_ip: usize,
    /// Home broadband IP (100.64.0.0/10).
    pub home_ip: String,
    /// ASN of the home line.
    pub home_asn: u32,
    /// Company laptop.
    pub laptop: Device,
    /// Company phone, if any.
    pub phone: Option<Device>,
    /// Indexes into `APPS`, OfficeHome first.
    pub apps: Vec<usize>,
    /// Special role.
    pub role: Role,
    /// Their non-interactive sign-ins are in the beta export (default
    /// profile; under the realistic one everyone's are).
    pub beta: bool,
}

impl User {
    /// The office egress IP this user goes out through.
    pub(crate) fn office_ip(&self) -> &'static str {
        OFFICES[self.office].ips[self.office_ip]
    }
}

/// The whole tenant and its time frame.
#[derive(Debug)]
pub(crate) struct Tenant {
    /// Tenant id.
    pub id: String,
    /// Members.
    pub users: Vec<User>,
    /// Indexes of the admins.
    pub admins: Vec<usize>,
    /// Object id of each group in `GROUPS`.
    pub groups: Vec<String>,
    /// Id of the "Require MFA for all users" conditional access policy.
    pub mfa_policy: String,
    /// Service principal id of "Microsoft Substrate Management".
    pub substrate: String,
    /// Local date index 0 (the UTC date of `start`).
    pub first_date: NaiveDate,
    /// Number of days in the window.
    pub days: i64,
    /// `[start, start + days)` in UTC ns: nothing outside is written.
    pub window: (i64, i64),
}

impl Tenant {
    /// Builds the tenant for the options (deterministic in `opts.seed`).
    pub(crate) fn build(opts: &GenerateOptions) -> Tenant {
        let mut rng = Rng::stream(opts.seed, 1, 0);
        let n = opts.users;
        let days = i64::from(opts.days);
        let mut names = Names::new(&mut rng);
        let mut users: Vec<User> = (0..n).map(|i| person(i, &mut rng, &mut names)).collect();
        let first_date = clock::utc_date(opts.start);
        let mut t = Tenant {
            id: rng.guid().to_string(),
            admins: Vec::new(),
            groups: (0..super::catalog::GROUPS.len())
                .map(|_| rng.guid().to_string())
                .collect(),
            mfa_policy: rng.guid().to_string(),
            substrate: rng.guid().to_string(),
            first_date,
            days,
            window: (opts.start, opts.start.saturating_add(days * DAY)),
            users: Vec::new(),
        };
        assign_roles(&mut users, &mut t, &mut rng);
        t.users = users;
        t
    }

    /// The local calendar date of a date index.
    pub(crate) fn date(&self, index: i64) -> NaiveDate {
        clock::add_days(self.first_date, index)
    }

    /// Whether user `u` exists on local date index `day` (new hires only from creation).
    pub(crate) fn exists_on(&self, u: usize, day: i64) -> bool {
        match self.users[u].role {
            Role::NewHire { created, .. } => day > created,
            _ => true,
        }
    }
}

/// Unique name combinations: an affine permutation of (given × family) per
/// culture, with a number appended once every combination is used.
struct Names {
    next: [usize; 2],
    step: [usize; 2],
    offset: [usize; 2],
}

impl Names {
    fn new(rng: &mut Rng) -> Self {
        // Coprime to 48 × 48 = 2304 = 2^8 × 3^2, so k ↦ (step·k + offset) mod 2304 is a bijection.
        const STEPS: [usize; 8] = [7, 11, 13, 17, 19, 23, 29, 31];
        Names {
            next: [0, 0],
            step: [*rng.pick(&STEPS), *rng.pick(&STEPS)],
            offset: [rng.index(2304), rng.index(2304)],
        }
    }

    /// (given index, family index, suffix) for culture 0 (Japanese) or 1 (English).
    fn take(&mut self, culture: usize) -> (usize, usize, usize) {
        let k = self.next[culture];
        self.next[culture] += 1;
        let combo = (self.step[culture] * k + self.offset[culture]) % 2304;
        (combo / 48, combo % 48, k / 2304)
    }
}

fn weights_of(models: &[DeviceModel]) -> Vec<u32> {
    models.iter().map(|m| m.weight).collect()
}

/// `haruto` → `Haruto`.
pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

fn person(i: usize, rng: &mut Rng, names: &mut Names) -> User {
    let weights: Vec<u32> = OFFICES.iter().map(|o| o.weight).collect();
    let office = rng.weighted(&weights);
    let japanese =
        OFFICES[office].japanese != rng.chance(if OFFICES[office].japanese { 0.08 } else { 0.05 });
    let (local, display) = loop {
        let (g, f, suffix) = names.take(usize::from(!japanese));
        let (given, family, kanji) = if japanese {
            (
                JP_GIVEN[g].0,
                JP_FAMILY[f].0,
                Some((JP_GIVEN[g].1, JP_FAMILY[f].1)),
            )
        } else {
            (WEST_GIVEN[g], WEST_FAMILY[f], None)
        };
        let local = match suffix {
            0 => format!("{given}.{family}"),
            s => format!("{given}.{family}{}", s + 1),
        };
        if RESERVED.contains(&local.as_str()) {
            continue;
        }
        let display = match kanji {
            Some((kg, kf)) if office != SEATTLE && rng.chance(0.7) => format!("{kf} {kg}"),
            _ => format!("{} {}", capitalise(given), capitalise(family)),
        };
        break (local, display);
    };
    let laptop_model = &LAPTOPS[rng.weighted(&weights_of(&LAPTOPS))];
    let laptop = Device {
        model: laptop_model,
        id: rng.guid().to_string(),
        name: format!("{}{:04}", laptop_model.name, 1000 + i),
    };
    let phone = rng.chance(0.75).then(|| {
        let model = &PHONES[rng.weighted(&weights_of(&PHONES))];
        Device {
            model,
            id: rng.guid().to_string(),
            name: model.name.to_string(),
        }
    });
    let mut apps = vec![OFFICE_HOME, TEAMS];
    if phone.is_some() && rng.chance(0.8) {
        apps.push(OUTLOOK_MOBILE);
    }
    for (app, p) in [(SHAREPOINT, 0.4), (ONEDRIVE, 0.3), (AZURE_PORTAL, 0.02)] {
        if apps.len() < 4 && rng.chance(p) {
            apps.push(app);
        }
    }
    // 100.64.0.0/10 holds 2^22 addresses; 7919 is coprime to 2^22 - 2, so hosts are unique.
    let host = 1 + (i as u64 * 7919) % ((1 << 22) - 2);
    let addr = (100u64 << 24) | (64 << 16) | host;
    let home_ip = format!(
        "{}.{}.{}.{}",
        addr >> 24,
        (addr >> 16) & 255,
        (addr >> 8) & 255,
        addr & 255
    );
    User {
        id: rng.guid().to_string(),
        upn: format!("{local}@{DOMAIN}"),
        display,
        office,
        office_ip: rng.index(OFFICES[office].ips.len()),
        home_ip,
        home_asn: *rng.pick(OFFICES[office].home_asns),
        laptop,
        phone,
        apps,
        role: Role::Ordinary,
        beta: rng.chance(0.2),
    }
}

/// Picks up to `count` ordinary users (optionally only from one office).
fn pick_ordinary(users: &[User], rng: &mut Rng, count: usize, office: Option<usize>) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..users.len())
        .filter(|&i| matches!(users[i].role, Role::Ordinary))
        .filter(|&i| office.is_none_or(|o| users[i].office == o))
        .collect();
    let mut picked = Vec::new();
    while picked.len() < count && !pool.is_empty() {
        picked.push(pool.swap_remove(rng.index(pool.len())));
    }
    picked
}

/// A working local date index in `lo..=hi` in Japan, or `None`.
fn working_day(t: &Tenant, rng: &mut Rng, lo: i64, hi: i64, max_weekday: u32) -> Option<i64> {
    use chrono::Datelike;
    (0..32).map(|_| rng.range(lo, hi)).find(|&d| {
        let date = t.date(d);
        clock::is_working_day(date) && date.weekday().num_days_from_monday() <= max_weekday
    })
}

fn assign_roles(users: &mut [User], t: &mut Tenant, rng: &mut Rng) {
    let n = users.len();
    let want_admins = if n >= 1000 { 3 } else { 2 };
    let mut admins = pick_ordinary(users, rng, want_admins, Some(TOKYO));
    for &a in &admins {
        users[a].role = Role::Admin;
    }
    // A tenant without a Tokyo office user takes its admins from anywhere.
    for a in pick_ordinary(users, rng, want_admins - admins.len(), None) {
        users[a].role = Role::Admin;
        admins.push(a);
    }
    for &a in &admins {
        if !users[a].apps.contains(&AZURE_PORTAL) {
            users[a].apps.push(AZURE_PORTAL);
        }
    }
    t.admins = admins;
    if t.days >= 9 && n >= 10 {
        for (k, u) in pick_ordinary(users, rng, (n / 100).max(1), Some(TOKYO))
            .into_iter()
            .enumerate()
        {
            // Leave Monday to Thursday, stay 3–4 nights, and be home before the window ends.
            if let Some(depart) = working_day(t, rng, 1, t.days - 8, 3) {
                let back = depart + rng.range(3, 4);
                users[u].role = Role::Traveller(Trip {
                    depart,
                    back,
                    flagged: k == 0 || rng.chance(0.5),
                });
            }
        }
    }
    if n >= 20 && t.days >= 3 {
        for u in pick_ordinary(users, rng, (n / 400).max(1), None) {
            if let Some(day) = working_day(t, rng, 1, t.days - 1, 4) {
                users[u].role = Role::SelfServiceReset(day);
            }
        }
    }
    if n >= 50 && t.days >= 4 && !t.admins.is_empty() {
        for u in pick_ordinary(users, rng, (n / 500).max(1), None) {
            if let Some(created) = working_day(t, rng, 1, t.days - 3, 4) {
                let by = *rng.pick(&t.admins);
                users[u].role = Role::NewHire { created, by };
            }
        }
    }
}

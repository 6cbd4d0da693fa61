//! Simulates every user's days: where they work from, when they sign in, what
//! happens in each sign-in flow, their token refreshes, and the audits and
//! risk records their stories produce.
//!
//! Invariants (what keeps the tenant benign):
//! - one egress IP per user per day, so sign-ins never hop between networks
//!   (the realistic profile's phones excepted: their token refreshes churn
//!   through Wi-Fi, CGNAT and IPv6 addresses of the user's city, `refresh`);
//! - at most one mistyped password per user per day, followed by a success
//!   from the same IP and client within a minute, and at most 3 typing users
//!   per office IP per UTC day (1 per home IP);
//! - travellers leave ≥ 29 hours between the last sign-in at home and the
//!   first abroad, and back, and see no interrupts or failures;
//! - nothing outside the `[start, start + days)` window is kept.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::catalog::{
    carriers_in, AppKind, APPS, AZURE_PORTAL, CARRIERS, OFFICE_HOME, OUTLOOK_MOBILE,
};
use super::clock::{self, HOUR, MIN, SEC};
use super::plan::{self, Plan};
use super::profile::Profile;
use super::refresh::{self, Net};
use super::risk;
use super::rng::Rng;
use super::signin::{self, Flag, Outcome, Place};
use super::spill::{Coll, Spill};
use super::tenant::{Device, Role, Tenant, User};
use super::{admin, audit};

/// The simulation's state: records go to the spill as they are produced.
#[derive(Debug)]
pub(crate) struct Output<'t> {
    /// Every record produced, in generation order.
    pub spill: Spill,
    seq: u64,
    typos: HashMap<(&'t str, NaiveDate), u8>,
    window: (i64, i64),
}

impl<'t> Output<'t> {
    fn inside(&self, at: i64) -> bool {
        self.window.0 <= at && at < self.window.1
    }

    /// Keeps one record of collection `c`, stamped with the next sequence number.
    fn keep<T: Serialize>(&mut self, c: Coll, at: i64, rec: &T) {
        self.seq += 1;
        self.spill.push(c, at, self.seq, rec);
    }

    fn audits(&mut self, items: Vec<audit::Timed>) {
        for (at, rec) in items {
            if self.inside(at) {
                self.keep(Coll::Audits, at, &rec);
            }
        }
    }

    /// Takes one typo slot for `ip` on the UTC day of `at`, if any is left.
    fn take_typo(&mut self, ip: &'t str, at: i64, cap: u8) -> bool {
        let used = self.typos.entry((ip, clock::utc_date(at))).or_insert(0);
        let ok = *used < cap;
        *used += u8::from(ok);
        ok
    }
}

/// Runs the whole tenant under `profile`.
pub(crate) fn simulate(t: &Tenant, seed: u64, profile: Profile, spill: Spill) -> Output<'_> {
    let mut out = Output {
        spill,
        seq: 0,
        typos: HashMap::new(),
        window: t.window,
    };
    for u in 0..t.users.len() {
        let mut rng = Rng::stream(seed, 2, u as u64);
        Person::new(t, u, profile, seed).run(&mut rng, &mut out);
    }
    out
}

/// The simulation of one user.
struct Person<'t> {
    t: &'t Tenant,
    u: usize,
    user: &'t User,
    registered: bool,
    flagged: bool,
    profile: Profile,
    /// The realistic profile's own stream, so that its refreshes never shift
    /// the numbers the interactive sign-ins, audits and risks see.
    background: Rng,
    /// Index in `CARRIERS` of the phone's carrier.
    carrier: usize,
}

/// How one interactive flow goes.
#[derive(Clone, Copy)]
enum Flow {
    Plain { mfa: bool },
    KeepMeSignedIn,
    Mfa(u32),
    Typo,
}

impl<'t> Person<'t> {
    fn new(t: &'t Tenant, u: usize, profile: Profile, seed: u64) -> Self {
        let mut background = Rng::stream(seed, 4, u as u64);
        let carrier = *background.pick(&carriers_in(t.users[u].office));
        Person {
            t,
            u,
            user: &t.users[u],
            registered: false,
            flagged: false,
            profile,
            background,
            carrier,
        }
    }

    fn run(&mut self, rng: &mut Rng, out: &mut Output<'t>) {
        for day in -1..=self.t.days {
            if let Some(plan) = plan::plan(self.t, self.u, rng, day) {
                self.day(rng, out, &plan);
            }
        }
    }

    fn day(&mut self, rng: &mut Rng, out: &mut Output<'t>, plan: &Plan<'t>) {
        let user = self.user;
        let mut starts: Vec<i64> = (0..plan.flows)
            .map(|_| rng.range(plan.lo / SEC, (plan.hi - 10 * MIN) / SEC) * SEC)
            .collect();
        starts.sort_unstable();
        let first = starts[0];
        // After a password reset or a first registration, the first sign-in is a plain success.
        let mut fresh_start = false;
        match user.role {
            Role::SelfServiceReset(d) if d == plan.day => {
                fresh_start = true;
                let end = first - rng.range(2, 6) * MIN;
                out.audits(audit::self_service_reset(rng, user, plan.place.ip, end));
            }
            Role::NewHire { .. } if !self.registered => {
                fresh_start = true;
                self.registered = true;
                let at = first - rng.range(30, 90) * SEC;
                out.audits(vec![audit::security_info(rng, user, plan.place.ip, at)]);
            }
            _ => {}
        }
        let mut typed = false;
        for (k, &at) in starts.iter().enumerate() {
            let mut app = self.choose_app(rng, plan, k);
            let special = !matches!(user.role, Role::Ordinary);
            let calm = matches!(user.role, Role::Traveller(_)) || (fresh_start && k == 0);
            let browser = APPS[app].kind == AppKind::Browser;
            let flow = match rng.weighted(&[4, 25, 25, 946]) {
                _ if calm => Flow::Plain { mfa: k == 0 },
                0 if !special && !typed && plan.working => {
                    let cap = if plan.place.ip == user.home_ip { 1 } else { 3 };
                    if out.take_typo(plan.place.ip, at, cap) {
                        typed = true;
                        app = if browser { app } else { OFFICE_HOME };
                        Flow::Typo
                    } else {
                        Flow::Plain { mfa: false }
                    }
                }
                1 if browser => Flow::KeepMeSignedIn,
                2 => Flow::Mfa(if rng.chance(0.6) { 50074 } else { 50076 }),
                _ => Flow::Plain {
                    mfa: rng.chance(0.15),
                },
            };
            let flagged = plan.abroad && k == 0 && !self.flagged;
            match user.role {
                Role::Traveller(trip) if trip.flagged && flagged && out.inside(at) => {
                    self.flagged = true;
                    self.flag(rng, out, plan, app, at);
                }
                _ => self.flow(rng, out, plan, app, at, flow),
            }
        }
        if user.beta {
            // The realistic profile replaces these refreshes, but draws the
            // same numbers, so the rest of the tenant is the default's.
            let keep = self.profile == Profile::Default;
            self.refreshes(rng, out, plan, first, keep);
        }
        match self.profile {
            Profile::Default => {}
            Profile::Realistic => {
                let start = if fresh_start { first } else { plan.lo };
                let day = refresh::Day {
                    carrier: self.carrier,
                    start,
                    roams: !fresh_start && !matches!(user.role, Role::Traveller(_)),
                };
                self.background_refreshes(out, plan, day);
            }
        }
        if matches!(user.role, Role::Admin) && plan.working {
            self.admin_work(rng, out, plan, first);
        }
    }

    fn choose_app(&self, rng: &mut Rng, plan: &Plan<'t>, k: usize) -> usize {
        let apps = &self.user.apps;
        if matches!(self.user.role, Role::Admin) && k == 0 && plan.working {
            return AZURE_PORTAL;
        }
        if !plan.working && apps.contains(&OUTLOOK_MOBILE) {
            return OUTLOOK_MOBILE;
        }
        let weights: Vec<u32> = apps
            .iter()
            .map(|&a| if a == AZURE_PORTAL { 1 } else { 3 })
            .collect();
        apps[rng.weighted(&weights)]
    }

    fn device(&self, app: usize) -> &'t Device {
        match (&self.user.phone, APPS[app].kind) {
            (Some(phone), AppKind::Mobile) => phone,
            _ => &self.user.laptop,
        }
    }

    /// Pushes one interactive record of flow `(app, correlationId)`; returns its id.
    fn record(
        &self,
        rng: &mut Rng,
        out: &mut Output<'t>,
        plan: &Plan<'t>,
        (app, corr): (usize, &str),
        at: i64,
        (outcome, flag): (Outcome, Option<Flag>),
    ) -> String {
        let id = rng.guid().to_string();
        if out.inside(at) {
            let (a, device) = (&APPS[app], self.device(app));
            let ids = (id.clone(), corr.to_string());
            let rec = signin::interactive(self.user, plan.place, a, device, at, ids, outcome, flag);
            out.keep(Coll::Interactive, at, &rec);
        }
        id
    }

    fn flow(
        &self,
        rng: &mut Rng,
        out: &mut Output<'t>,
        plan: &Plan<'t>,
        app: usize,
        at: i64,
        flow: Flow,
    ) {
        let corr = rng.guid().to_string();
        let f = (app, corr.as_str());
        let ok = (Outcome::Success { mfa: false }, None);
        match flow {
            Flow::Plain { mfa } => {
                self.record(rng, out, plan, f, at, (Outcome::Success { mfa }, None));
            }
            Flow::KeepMeSignedIn => {
                self.record(rng, out, plan, f, at, (Outcome::KeepMeSignedIn, None));
                self.record(rng, out, plan, f, at, ok);
            }
            Flow::Mfa(code) => {
                self.record(rng, out, plan, f, at, (Outcome::MfaRequired(code), None));
                let done = at + rng.range(10, 45) * SEC;
                self.record(
                    rng,
                    out,
                    plan,
                    f,
                    done,
                    (Outcome::Success { mfa: true }, None),
                );
            }
            Flow::Typo => {
                self.record(rng, out, plan, f, at, (Outcome::BadPassword, None));
                let retry = at + rng.range(8, 50) * SEC;
                self.record(rng, out, plan, f, retry, ok);
            }
        }
    }

    /// The traveller's first sign-in abroad, flagged by Identity Protection.
    fn flag(&self, rng: &mut Rng, out: &mut Output<'t>, plan: &Plan<'t>, app: usize, at: i64) {
        let detected = at + rng.range(0, 9_999_999) * 100;
        let res = risk::resolve(rng, self.t, detected);
        let corr = rng.guid().to_string();
        let flag = Flag {
            state: res.state,
            detail: res.detail,
        };
        let outcome = (Outcome::Success { mfa: true }, Some(flag));
        let id = self.record(rng, out, plan, (app, &corr), at, outcome);
        let ua = self.device(app).model.user_agent;
        let det = risk::detection(rng, self.user, plan.place, ua, (&id, &corr), detected, res);
        out.keep(Coll::Detections, detected, &det);
        out.keep(Coll::RiskyUsers, res.at, &risk::risky_user(self.user, res));
        if let Some(a) = res.admin {
            let admin = &self.t.users[a];
            out.audits(vec![audit::dismiss(
                rng,
                admin,
                admin.office_ip(),
                res.at,
                self.user,
            )]);
        }
    }

    /// Token refreshes of desktop and phone apps (beta export), kept when `keep`.
    fn refreshes(
        &self,
        rng: &mut Rng,
        out: &mut Output<'t>,
        plan: &Plan<'t>,
        first: i64,
        keep: bool,
    ) {
        let native: Vec<usize> = self
            .user
            .apps
            .iter()
            .copied()
            .filter(|&a| APPS[a].kind != AppKind::Browser)
            .collect();
        if native.is_empty() || first + MIN >= plan.hi {
            return;
        }
        let count = 1 + usize::from(plan.working && rng.chance(0.05));
        let mut sessions: [Option<String>; 2] = [None, None];
        for _ in 0..count {
            let at = rng.range((first + MIN) / 100, plan.hi / 100 - 1) * 100;
            let app = *rng.pick(&native);
            let device = self.device(app);
            let slot = usize::from(!std::ptr::eq(device, &self.user.laptop));
            let session = sessions[slot]
                .get_or_insert_with(|| rng.guid().to_string())
                .clone();
            let ids = (rng.guid(), rng.guid().to_string());
            let millis = rng.range(30, 180) as u32;
            if keep && out.inside(at) {
                let rec = signin::non_interactive(
                    self.t, self.user, plan.place, &APPS[app], device, at, ids, &session, millis,
                );
                out.keep(Coll::NonInteractive, at, &rec);
            }
        }
    }

    /// The realistic profile's token refreshes of every app on every device
    /// (beta export), from the networks `refresh` puts them on.
    fn background_refreshes(&mut self, out: &mut Output<'t>, plan: &Plan<'t>, day: refresh::Day) {
        let user = self.user;
        let rng = &mut self.background;
        let home = Place {
            ip: &user.home_ip,
            office: user.office,
            asn: user.home_asn,
        };
        let sessions = [rng.guid().to_string(), rng.guid().to_string()];
        for r in refresh::day(rng, user, plan, day) {
            let device = match (&user.phone, r.phone) {
                (Some(phone), true) => phone,
                _ => &user.laptop,
            };
            let ids = (rng.guid(), rng.guid().to_string());
            let millis = rng.range(30, 180) as u32;
            if !out.inside(r.at) {
                continue;
            }
            let place = match &r.net {
                Net::Place => plan.place,
                Net::Home => home,
                Net::Carrier(ip) => Place {
                    ip,
                    office: user.office,
                    asn: CARRIERS[day.carrier].asn,
                },
            };
            let session = &sessions[usize::from(r.phone)];
            let rec = signin::non_interactive(
                self.t,
                user,
                place,
                &APPS[r.app],
                device,
                r.at,
                ids,
                session,
                millis,
            );
            out.keep(Coll::NonInteractive, r.at, &rec);
        }
    }

    /// An admin's directory work after their morning sign-in at the office.
    fn admin_work(&self, rng: &mut Rng, out: &mut Output<'t>, plan: &Plan<'t>, first: i64) {
        let t = self.t;
        let (lo, hi) = (first + 2 * MIN, (first + 8 * HOUR).min(plan.hi - 10 * MIN));
        if lo >= hi {
            return;
        }
        let ip = plan.place.ip;
        for (h, hire) in t.users.iter().enumerate() {
            if matches!(hire.role, Role::NewHire { created, by } if created == plan.day && by == self.u)
            {
                let at = rng.range(lo / SEC, hi / SEC) * SEC;
                out.audits(admin::new_hire(rng, t, self.user, ip, at, &t.users[h]));
            }
        }
        let n = t.users.len() as u64;
        for _ in 0..rng.below(2 + n / 500) {
            let at = rng.range(lo / SEC, hi / SEC) * SEC;
            let target = (0..5)
                .map(|_| rng.index(t.users.len()))
                .find(|&j| j != self.u && t.exists_on(j, plan.day));
            if let Some(j) = target {
                out.audits(admin::admin_work(rng, t, self.user, ip, at, &t.users[j]));
            }
        }
    }
}

//! Fixed vocabulary of the synthetic tenant: offices and their egress IPs,
//! mobile carriers and their address ranges, client applications, device
//! models, groups, job titles and partners (people's names are in `names`).
//!
//! Invariants: IPs come from the documentation ranges (RFC 5737, and RFC 3849
//! for carriers' IPv6), for homes the shared address space 100.64.0.0/10,
//! and for carriers' CGNAT egress the benchmarking range 198.18.0.0/15
//! (RFC 2544); none of them is an IP the hand-written fixtures in
//! `testdata/` use, so the generated tenant can be mixed with them. App ids
//! are Microsoft's first-party ids; carriers' ASNs are theirs.

use super::clock::Zone;

/// An office: where most of its users sign in from.
#[derive(Debug)]
pub(crate) struct Office {
    /// `location.city`.
    pub city: &'static str,
    /// `location.state`.
    pub state: &'static str,
    /// `location.countryOrRegion` (ISO 3166 alpha-2).
    pub country: &'static str,
    /// Latitude of the city.
    pub lat: f64,
    /// Longitude of the city.
    pub lon: f64,
    /// Local time zone.
    pub zone: Zone,
    /// Office egress IPs, shared by everyone working there.
    pub ips: &'static [&'static str],
    /// ASN of the office line.
    pub asn: u32,
    /// ASNs of home broadband providers in that city.
    pub home_asns: &'static [u32],
    /// Relative share of the staff.
    pub weight: u32,
    /// Staff mostly have Japanese names.
    pub japanese: bool,
}

/// Index of Tokyo in [`OFFICES`].
pub(crate) const TOKYO: usize = 0;
/// Index of Seattle in [`OFFICES`].
pub(crate) const SEATTLE: usize = 3;

/// The offices of the tenant.
pub(crate) static OFFICES: [Office; 5] = [
    Office {
        city: "Tokyo",
        state: "Tokyo",
        country: "JP",
        lat: 35.6895,
        lon: 139.6917,
        zone: Zone::Japan,
        ips: &["203.0.113.30", "203.0.113.31", "203.0.113.32"],
        asn: 2516,
        home_asns: &[2516, 4713, 17676],
        weight: 40,
        japanese: true,
    },
    Office {
        city: "Osaka",
        state: "Osaka",
        country: "JP",
        lat: 34.6937,
        lon: 135.5023,
        zone: Zone::Japan,
        ips: &["203.0.113.150", "203.0.113.151"],
        asn: 4713,
        home_asns: &[4713, 2516, 17676],
        weight: 20,
        japanese: true,
    },
    Office {
        city: "Yokohama",
        state: "Kanagawa",
        country: "JP",
        lat: 35.4437,
        lon: 139.638,
        zone: Zone::Japan,
        ips: &["198.51.100.120"],
        asn: 17676,
        home_asns: &[17676, 2516, 4713],
        weight: 15,
        japanese: true,
    },
    Office {
        city: "Seattle",
        state: "Washington",
        country: "US",
        lat: 47.6062,
        lon: -122.3321,
        zone: Zone::UsPacific,
        ips: &["192.0.2.100", "192.0.2.101"],
        asn: 701,
        home_asns: &[7922, 20115, 209],
        weight: 15,
        japanese: false,
    },
    Office {
        city: "London",
        state: "England",
        country: "GB",
        lat: 51.5074,
        lon: -0.1278,
        zone: Zone::London,
        ips: &["198.51.100.160", "198.51.100.161"],
        asn: 5400,
        home_asns: &[2856, 5089, 5607],
        weight: 10,
        japanese: false,
    },
];

/// How a client application signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AppKind {
    /// A web app in the laptop's browser (`clientAppUsed: Browser`).
    Browser,
    /// A desktop app on the laptop (`Mobile Apps and Desktop clients`).
    Desktop,
    /// A phone app (`Mobile Apps and Desktop clients`).
    Mobile,
}

/// A client application and the resource it asks a token for.
#[derive(Debug)]
pub(crate) struct App {
    /// `appDisplayName`.
    pub name: &'static str,
    /// `appId`.
    pub id: &'static str,
    /// `resourceDisplayName`.
    pub resource: &'static str,
    /// `resourceId`.
    pub resource_id: &'static str,
    /// Browser, desktop or phone.
    pub kind: AppKind,
}

impl App {
    /// `clientAppUsed`.
    pub(crate) fn client(&self) -> &'static str {
        match self.kind {
            AppKind::Browser => "Browser",
            AppKind::Desktop | AppKind::Mobile => "Mobile Apps and Desktop clients",
        }
    }
}

/// Index of OfficeHome in [`APPS`].
pub(crate) const OFFICE_HOME: usize = 0;
/// Index of Microsoft Teams in [`APPS`].
pub(crate) const TEAMS: usize = 1;
/// Index of Outlook Mobile in [`APPS`].
pub(crate) const OUTLOOK_MOBILE: usize = 2;
/// Index of the Azure Portal in [`APPS`].
pub(crate) const AZURE_PORTAL: usize = 3;
/// Index of SharePoint Online in [`APPS`].
pub(crate) const SHAREPOINT: usize = 4;
/// Index of the OneDrive sync client in [`APPS`].
pub(crate) const ONEDRIVE: usize = 5;

/// The client applications people use.
pub(crate) static APPS: [App; 6] = [
    App {
        name: "OfficeHome",
        id: "4765445b-32c6-49b0-83e6-1d93765276ca",
        resource: "OfficeHome",
        resource_id: "4765445b-32c6-49b0-83e6-1d93765276ca",
        kind: AppKind::Browser,
    },
    App {
        name: "Microsoft Teams",
        id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        resource: "Microsoft Teams Services",
        resource_id: "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
        kind: AppKind::Desktop,
    },
    App {
        name: "Outlook Mobile",
        id: "27922004-5251-4030-b22d-91ecd9a37ea4",
        resource: "Office 365 Exchange Online",
        resource_id: "00000002-0000-0ff1-ce00-000000000000",
        kind: AppKind::Mobile,
    },
    App {
        name: "Azure Portal",
        id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        resource: "Windows Azure Service Management API",
        resource_id: "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        kind: AppKind::Browser,
    },
    App {
        name: "Office 365 SharePoint Online",
        id: "00000003-0000-0ff1-ce00-000000000000",
        resource: "Office 365 SharePoint Online",
        resource_id: "00000003-0000-0ff1-ce00-000000000000",
        kind: AppKind::Browser,
    },
    App {
        name: "OneDrive SyncEngine",
        id: "ab9b8c07-8f02-4f72-87fa-80105867a763",
        resource: "Office 365 SharePoint Online",
        resource_id: "00000003-0000-0ff1-ce00-000000000000",
        kind: AppKind::Desktop,
    },
];

/// A device model: what `deviceDetail` and the user agent say about it.
#[derive(Debug)]
pub(crate) struct DeviceModel {
    /// `deviceDetail.operatingSystem`.
    pub os: &'static str,
    /// `deviceDetail.browser`.
    pub browser: &'static str,
    /// Beta `userAgent`.
    pub user_agent: &'static str,
    /// `deviceDetail.trustType`.
    pub trust: &'static str,
    /// Prefix of `deviceDetail.displayName` (a number follows unless it ends in a letter).
    pub name: &'static str,
    /// Relative share.
    pub weight: u32,
}

/// Company laptops (Entra joined or registered, managed, compliant).
pub(crate) static LAPTOPS: [DeviceModel; 4] = [
    DeviceModel {
        os: "Windows10",
        browser: "Edge 134.0.0",
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0",
        trust: "Azure AD joined",
        name: "CONTOSO-LT-",
        weight: 55,
    },
    DeviceModel {
        os: "Windows10",
        browser: "Chrome 134.0.0",
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
        trust: "Azure AD joined",
        name: "CONTOSO-LT-",
        weight: 30,
    },
    DeviceModel {
        os: "MacOs",
        browser: "Safari 18.3",
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15",
        trust: "Azure AD registered",
        name: "CONTOSO-MB-",
        weight: 10,
    },
    DeviceModel {
        os: "MacOs",
        browser: "Chrome 134.0.0",
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
        trust: "Azure AD registered",
        name: "CONTOSO-MB-",
        weight: 5,
    },
];

/// Company phones (Intune enrolled: registered, managed, compliant).
pub(crate) static PHONES: [DeviceModel; 2] = [
    DeviceModel {
        os: "Ios",
        browser: "Mobile Safari 18.3",
        user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1",
        trust: "Azure AD registered",
        name: "iPhone",
        weight: 65,
    },
    DeviceModel {
        os: "Android",
        browser: "Chrome Mobile 134.0.0",
        user_agent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36",
        trust: "Azure AD registered",
        name: "Pixel 8",
        weight: 35,
    },
];

/// Security groups admins add people to.
pub(crate) static GROUPS: [&str; 10] = [
    "All-Staff-Tokyo",
    "All-Staff-Osaka",
    "All-Staff-Yokohama",
    "All-Staff-Seattle",
    "All-Staff-London",
    "Sales",
    "Engineering",
    "Finance",
    "Project-Phoenix",
    "Partners-External",
];

/// Job titles for "Update user".
pub(crate) static JOB_TITLES: [&str; 8] = [
    "Sales Manager",
    "Account Executive",
    "Software Engineer",
    "Senior Software Engineer",
    "Financial Analyst",
    "Project Manager",
    "HR Specialist",
    "Support Engineer",
];

/// Departments for "Update user".
pub(crate) static DEPARTMENTS: [&str; 6] = [
    "Sales",
    "Engineering",
    "Finance",
    "Human Resources",
    "Marketing",
    "Customer Support",
];

/// Partner organisations whose people are invited as guests.
pub(crate) static PARTNERS: [(&str, &str); 4] = [
    ("fabrikam.com", "Fabrikam"),
    ("northwindtraders.com", "Northwind"),
    ("adatum.com", "Adatum"),
    ("tailspintoys.com", "Tailspin"),
];

/// A mobile carrier: the ASN its phones' traffic comes from, and the country
/// its addresses geolocate to (the realistic profile's phones).
#[derive(Debug)]
pub(crate) struct Carrier {
    /// Beta `autonomousSystemNumber`.
    pub asn: u32,
    /// `location.countryOrRegion` of the offices whose staff it serves.
    pub country: &'static str,
}

/// Mobile carriers by country: NTT docomo, KDDI au and SoftBank in Japan;
/// T-Mobile US, Verizon Wireless and AT&T Mobility in the US; EE, Vodafone
/// UK and O2 UK in Britain.
pub(crate) static CARRIERS: [Carrier; 9] = [
    Carrier {
        asn: 9605,
        country: "JP",
    },
    Carrier {
        asn: 2516,
        country: "JP",
    },
    Carrier {
        asn: 17676,
        country: "JP",
    },
    Carrier {
        asn: 21928,
        country: "US",
    },
    Carrier {
        asn: 6167,
        country: "US",
    },
    Carrier {
        asn: 20057,
        country: "US",
    },
    Carrier {
        asn: 12576,
        country: "GB",
    },
    Carrier {
        asn: 25135,
        country: "GB",
    },
    Carrier {
        asn: 35228,
        country: "GB",
    },
];

/// Addresses in each carrier's CGNAT egress pool.
const POOL: u32 = 4096;

/// An egress IPv4 address of carrier `k`'s CGNAT pool, `host` taken modulo
/// the pool: carrier `k` of [`CARRIERS`] owns 198.18.16k.0/20 in the
/// benchmarking range 198.18.0.0/15 (RFC 2544), which no office, home or
/// fixture uses.
pub(crate) fn carrier_ipv4(k: usize, host: u32) -> String {
    let h = 1 + host % (POOL - 2);
    format!("198.18.{}.{}", 16 * k as u32 + h / 256, h % 256)
}

/// An IPv6 address of carrier `k`: it owns 2001:db8:k+1::/48 in the
/// documentation range (RFC 3849); `subnet` picks the phone's /64 and `iid`
/// its interface identifier. Every group is non-zero, so the text is
/// canonical (RFC 5952) without `::`.
pub(crate) fn carrier_ipv6(k: usize, subnet: u16, iid: [u16; 4]) -> String {
    let nz = |g: u16| g.max(1);
    format!(
        "2001:db8:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
        k + 1,
        nz(subnet),
        nz(iid[0]),
        nz(iid[1]),
        nz(iid[2]),
        nz(iid[3])
    )
}

/// Indexes in [`CARRIERS`] of the carriers of the country an office is in
/// (never empty for [`OFFICES`]).
pub(crate) fn carriers_in(office: usize) -> Vec<usize> {
    (0..CARRIERS.len())
        .filter(|&k| CARRIERS[k].country == OFFICES[office].country)
        .collect()
}

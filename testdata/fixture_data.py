"""Scenario records for the entrace fixtures (imported by make_fixtures.py).

Everything here is deterministic: GUIDs are uuid5 of readable names, times are
fixed, and the background traffic comes from random.Random with a fixed seed.
The scenario follows the two seed articles (../shared/seeds): user01 (two typos
then success), user02 (smart lockout, success from another browser), user03
(SSPR, blocked on the third try), user04 (Tor, 530035, anonymizedIPAddress).
"""
import base64
import hashlib
import json
import random
import uuid
from datetime import datetime, timedelta, timezone

NS = uuid.UUID("5f1c2a3e-6d0b-4c47-9a59-6e7472616365")  # fixed namespace for all fixture GUIDs
DOMAIN = "contoso.onmicrosoft.com"
V1 = "https://graph.microsoft.com/v1.0/$metadata#"
BETA = "https://graph.microsoft.com/beta/$metadata#"


def gid(*parts):
    """A fixed GUID for a readable name, e.g. gid('user', 'user04')."""
    return str(uuid.uuid5(NS, ":".join(parts)))


def hexid(*parts):
    """Opaque 64-hex-char id (riskDetection ids look like this)."""
    return hashlib.sha256(":".join(("riskid",) + parts).encode()).hexdigest()


def num(*parts, mod=10**7):
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest(), 16) % mod


def utc(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


def z(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def z7(dt, ticks):
    """7 fractional digits, as beta sign-ins and risk records print them."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % ticks


def net_ticks(stamp7):
    """.NET ticks (100 ns since 0001-01-01) of a 7-digit UTC timestamp string."""
    base, frac = stamp7.rstrip("Z").split(".")
    dt = utc(base)
    days = (dt.replace(tzinfo=None) - datetime(1, 1, 1)).days
    secs = days * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second
    return secs * 10**7 + int(frac.ljust(7, "0"))


# ---------------------------------------------------------------- places, devices, apps
def geo(city, state, cc, lat, lon, altitude=True):
    g = {"altitude": None, "latitude": lat, "longitude": lon} if altitude else {"latitude": lat, "longitude": lon}
    return {"city": city, "state": state, "countryOrRegion": cc, "geoCoordinates": g}


TOKYO = geo("Tokyo", "Tokyo", "JP", 35.6895, 139.6917)
TOKYO_U01 = geo("Tokyo", "", "JP", 35.6895, 139.6917)  # seed: user01 has city set, state ""
OSAKA = geo("Osaka", "Osaka", "JP", 34.6937, 135.5023)
YOKOHAMA = geo("Yokohama", "Kanagawa", "JP", 35.4437, 139.638)
SEATTLE = geo("Seattle", "Washington", "US", 47.6062, -122.3321)
TOR_NL = geo("", "", "NL", 52.3759, 4.8975)  # seed: city and state empty


def dev(browser, os_="Windows10", device=None):
    if device:  # Entra-joined company laptop
        return {"deviceId": gid("device", device), "displayName": device, "operatingSystem": os_,
                "browser": browser, "isCompliant": True, "isManaged": True, "trustType": "Azure AD joined"}
    return {"deviceId": "", "displayName": "", "operatingSystem": os_, "browser": browser,
            "isCompliant": False, "isManaged": False, "trustType": ""}


FIREFOX136, EDGE134, CHROME134 = dev("Firefox 136.0"), dev("Edge 134.0.0"), dev("Chrome 134.0.0")
TOR_FIREFOX128 = dev("Firefox 128.0")
IPHONE = dev("Mobile Safari 18.3", "Ios")

# name: (appId, resourceDisplayName, resourceId, clientAppUsed)
APPS = {
    "OfficeHome": ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca", "Browser"),
    "Microsoft Teams": ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams Services",
                        "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Mobile Apps and Desktop clients"),
    "Outlook Mobile": ("27922004-5251-4030-b22d-91ecd9a37ea4", "Office 365 Exchange Online",
                       "00000002-0000-0ff1-ce00-000000000000", "Mobile Apps and Desktop clients"),
    "Azure Portal": ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Windows Azure Service Management API",
                     "797f4846-ba00-4fd7-ba43-dac1f8f63013", "Browser"),
    "Microsoft Office": ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Graph",
                         "00000003-0000-0000-c000-000000000000", "Mobile Apps and Desktop clients"),
}

KMSI_DETAIL = ("This is an expected part of the login flow, where a user is asked if they want to remain signed into "
               "this browser to make further logins easier. For more details, see https://techcommunity.microsoft.com/"
               "t5/Azure-Active-Directory/The-new-Azure-AD-sign-in-and-Keep-me-signed-in-experiences/td-p/128267")
STATUS = {  # key: (errorCode, failureReason, additionalDetails)
    "ok": (0, "Other.", "MFA requirement satisfied by claim in the token"),
    "ok_mfa": (0, "Other.", "MFA completed in Azure AD"),
    "50126": (50126, "Error validating credentials due to invalid username or password.",
              "The user didn't enter the right credentials. It's expected to see some number of these errors "
              "in your logs due to users making mistakes."),
    "50053": (50053, "Account is locked because user tried to sign in too many times with an incorrect user ID "
                     "or password.", None),
    "50140": (50140, "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
              KMSI_DETAIL),
    "50074": (50074, "Strong Authentication is required.", "MFA required in Azure AD"),
    "50076": (50076, "Due to a configuration change made by your administrator, or because you moved to a new "
                     "location, you must use multi-factor authentication to access '{resource}'.",
              "MFA required in Azure AD"),
    "530035": (530035, "Access has been blocked by security defaults.",
               "If this is unexpected, see security defaults that applied to this request in the Azure Portal."),
}


# ---------------------------------------------------------------- users
class User:
    def __init__(self, key, name, upn=None, **kw):
        self.key, self.name = key, name
        self.upn = upn or f"{key}@{DOMAIN}"
        self.id = gid("user", key)
        self.__dict__.update(kw)


U01, U02 = User("user01", "ユーザ01"), User("user02", "ユーザ02")
U03, U04 = User("user03", "ユーザ03"), User("user04", "ユーザ04")
LAB_IP = "198.51.100.23"  # the blogger's line: user01..03 all tested from it
TOR_IP = "185.220.101.47"
OFFICE_TOKYO, OFFICE_OSAKA = "203.0.113.25", "203.0.113.140"

# background: home location, desktop ip, desktop device, phone ip, apps
BG = [
    User("alice.tanaka", "Alice Tanaka", loc=TOKYO, ip=OFFICE_TOKYO, dev=dev("Edge 134.0.0", device="CONTOSO-LT-0142"),
         mip="198.51.100.71", apps=["OfficeHome", "Microsoft Teams", "Outlook Mobile"]),
    User("bob.suzuki", "Bob Suzuki", loc=OSAKA, ip=OFFICE_OSAKA, dev=CHROME134, mip="198.51.100.72",
         apps=["OfficeHome", "Microsoft Teams", "Azure Portal"]),
    User("it.admin", "IT 管理者", loc=TOKYO, ip=OFFICE_TOKYO, dev=dev("Edge 134.0.0", device="CONTOSO-LT-0007"),
         mip="198.51.100.73", apps=["Azure Portal", "OfficeHome", "Azure Portal"]),
    User("chiharu.sato", "佐藤 千春", loc=TOKYO, ip=OFFICE_TOKYO, dev=EDGE134, mip="198.51.100.74",
         apps=["OfficeHome", "Microsoft Teams", "Outlook Mobile"]),
    User("emi.watanabe", "渡辺 恵美", loc=YOKOHAMA, ip="198.51.100.110", dev=CHROME134, mip="198.51.100.75",
         apps=["OfficeHome", "Outlook Mobile"]),
    User("kenji.yamamoto", "山本 健二", loc=OSAKA, ip=OFFICE_OSAKA, dev=dev("Edge 134.0.0", device="CONTOSO-LT-0311"),
         mip="198.51.100.76", apps=["Microsoft Teams", "OfficeHome"]),
    User("mika.nakamura", "中村 美香", loc=TOKYO, ip=OFFICE_TOKYO, dev=FIREFOX136, mip="198.51.100.77",
         apps=["OfficeHome", "Outlook Mobile", "Microsoft Teams"]),
    User("takeshi.kobayashi", "小林 武", loc=TOKYO, ip=OFFICE_TOKYO, dev=CHROME134, mip="198.51.100.78",
         apps=["Microsoft Teams", "OfficeHome"]),
    User("yuki.kato", "加藤 優希", loc=OSAKA, ip=OFFICE_OSAKA, dev=EDGE134, mip="198.51.100.79",
         apps=["OfficeHome", "Microsoft Teams"]),
    User("p.jones", "Patricia Jones (Fabrikam)", upn="p.jones@fabrikam.com", loc=YOKOHAMA, ip="198.51.100.201",
         dev=EDGE134, mip="198.51.100.201", apps=["OfficeHome", "Microsoft Teams"], guest=True),
]
DAISUKE = User("daisuke.ito", "伊藤 大輔", loc=TOKYO, ip=OFFICE_TOKYO, dev=EDGE134, mip="198.51.100.80")
USERS = {u.key: u for u in [U01, U02, U03, U04, DAISUKE] + BG}
ADMIN, EMI, BOB, GUEST = USERS["it.admin"], USERS["emi.watanabe"], USERS["bob.suzuki"], USERS["p.jones"]


# ---------------------------------------------------------------- sign-ins (v1.0 shape of the seeds)
def signin(key, user, when, app, ip, loc, device, status, corr=None, risk=None):
    app_id, res_name, res_id, client = APPS[app]
    code, reason, details = STATUS[status]
    r = {"id": gid("signin", key), "createdDateTime": when, "userDisplayName": user.name,
         "userPrincipalName": user.upn, "userId": user.id, "appId": app_id, "appDisplayName": app,
         "ipAddress": ip, "clientAppUsed": client, "correlationId": corr or gid("corr", key),
         "conditionalAccessStatus": "notApplied", "isInteractive": True, "riskDetail": "none",
         "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
         "riskEventTypes": [], "riskEventTypes_v2": [], "resourceDisplayName": res_name, "resourceId": res_id,
         "status": {"errorCode": code, "failureReason": reason, "additionalDetails": details},
         "deviceDetail": dict(device), "location": loc, "appliedConditionalAccessPolicies": []}
    if risk:
        r.update(risk)
    return r


def seed_signins():
    """The seed users' sign-ins, oldest first (flows that share a correlationId are noted)."""
    out = []
    # user01: two typos, KMSI interrupt and success in the same second (one flow, one correlationId)
    for i, t in enumerate(["15:07:31", "15:07:48"], 1):
        out.append(signin(f"user01-fail{i}", U01, f"2025-03-17T{t}Z", "OfficeHome", LAB_IP, TOKYO_U01, FIREFOX136, "50126"))
    c = gid("corr", "user01-flow")
    out.append(signin("user01-kmsi", U01, "2025-03-17T15:08:07Z", "OfficeHome", LAB_IP, TOKYO_U01, FIREFOX136, "50140", c))
    out.append(signin("user01-success", U01, "2025-03-17T15:08:07Z", "OfficeHome", LAB_IP, TOKYO_U01, FIREFOX136, "ok", c))
    # user02: 5 wrong passwords, 2 smart-lockout rows, success from Edge on the same IP
    for i, t in enumerate(["15:41:05", "15:41:19", "15:41:34", "15:41:50", "15:42:03"], 1):
        out.append(signin(f"user02-fail{i}", U02, f"2025-03-17T{t}Z", "OfficeHome", LAB_IP, TOKYO, FIREFOX136, "50126"))
    for i, t in enumerate(["15:42:12", "15:42:26"], 1):
        out.append(signin(f"user02-lock{i}", U02, f"2025-03-17T{t}Z", "OfficeHome", LAB_IP, TOKYO, FIREFOX136, "50053"))
    out.append(signin("user02-success", U02, "2025-03-17T15:42:32Z", "OfficeHome", LAB_IP, TOKYO, EDGE134, "ok"))
    # user03: ordinary sign-in with the password set through SSPR (flow 2)
    out.append(signin("user03-success", U03, "2025-03-17T16:45:12Z", "OfficeHome", LAB_IP, TOKYO, FIREFOX136, "ok"))
    # user04: Tor Browser, three typos, then the correct password blocked by security defaults
    for i, t in enumerate(["17:50:41", "17:52:07", "17:53:18"], 1):
        out.append(signin(f"user04-fail{i}", U04, f"2025-03-17T{t}Z", "OfficeHome", TOR_IP, TOR_NL, TOR_FIREFOX128, "50126"))
    out.append(signin("user04-blocked", U04, "2025-03-17T17:54:30Z", "OfficeHome", TOR_IP, TOR_NL, TOR_FIREFOX128,
                      "530035", risk={"riskLevelAggregated": "low", "riskLevelDuringSignIn": "medium",
                                      "riskState": "atRisk", "riskEventTypes": ["anonymizedIPAddress"],
                                      "riskEventTypes_v2": ["anonymizedIPAddress"]}))
    return out


USER04_BLOCKED = gid("signin", "user04-blocked")
DAISUKE_US = gid("signin", "daisuke-us1")


def background_signins():
    """Ordinary traffic 2025-03-16..18 (JST business hours = 00:00-10:00 UTC), oldest first."""
    rng = random.Random(20250317)
    pool = [u for u in BG]
    plan = [("2025-03-16", 0, 9, 7), ("2025-03-17", 0, 10, 30), ("2025-03-18", 0, 6, 17), ("2025-03-18", 6, 14, 9)]
    kinds, weights = ["ok", "typo", "kmsi", "mfa74", "mfa76"], [66, 9, 13, 6, 6]
    flows = []
    for day, h0, h1, n in plan:
        for _ in range(n):
            t = utc(day + "T00:00:00") + timedelta(seconds=h0 * 3600 + rng.randrange((h1 - h0) * 3600))
            flows.append((t, rng.choice(pool), rng.choices(kinds, weights)[0], rng.random()))
    out, n = [], 0
    for t, u, kind, x in sorted(flows, key=lambda f: f[0]):
        app = u.apps[int(x * len(u.apps))]
        ip, device = (u.mip, IPHONE) if app == "Outlook Mobile" else (u.ip, u.dev)
        corr = gid("corr", f"bg-flow-{n}")

        def emit(status, when, shared=True):
            nonlocal n
            n += 1
            out.append(signin(f"bg-{n}", u, z(when), app, ip, u.loc, device, status, corr if shared else None))
        if kind == "ok":
            emit("ok", t)
        elif kind == "typo":
            emit("50126", t, False)
            emit("ok", t + timedelta(seconds=8 + int(x * 30)), False)
        elif kind == "kmsi":
            emit("50140", t)
            emit("ok", t)
        else:
            emit("50074" if kind == "mfa74" else "50076", t)
            emit("ok_mfa", t + timedelta(seconds=12 + int(x * 30)))
    # daisuke.ito: Tokyo on the 16th, then a business trip to Seattle (risk: unfamiliarFeatures, dismissed later)
    out.append(signin("daisuke-jp1", DAISUKE, "2025-03-16T01:12:40Z", "Outlook Mobile", DAISUKE.mip, TOKYO, IPHONE, "ok"))
    out.append(signin("daisuke-us1", DAISUKE, "2025-03-17T17:20:11Z", "OfficeHome", "192.0.2.77", SEATTLE, EDGE134,
                      "ok_mfa", risk={"riskDetail": "adminDismissedAllRiskForUser", "riskLevelAggregated": "none",
                                      "riskLevelDuringSignIn": "low", "riskState": "dismissed",
                                      "riskEventTypes": ["unfamiliarFeatures"],
                                      "riskEventTypes_v2": ["unfamiliarFeatures"]}))
    out.append(signin("daisuke-us2", DAISUKE, "2025-03-18T16:05:22Z", "Microsoft Teams", "192.0.2.77", SEATTLE,
                      EDGE134, "ok"))
    return out


def beta_noninteractive():
    """~10 beta non-interactive (refresh-token) sign-ins on 2025-03-18, newest first."""
    asn = {OFFICE_TOKYO: 2516, OFFICE_OSAKA: 4713, "198.51.100.110": 17676}
    rows = [("alice.tanaka", "05:41:12", "Microsoft Teams"), ("kenji.yamamoto", "05:12:48", "Microsoft Office"),
            ("it.admin", "04:58:03", "Microsoft Office"), ("chiharu.sato", "04:20:31", "Microsoft Teams"),
            ("yuki.kato", "03:47:09", "Microsoft Teams"), ("bob.suzuki", "03:05:55", "Microsoft Office"),
            ("mika.nakamura", "02:33:17", "Microsoft Office"), ("emi.watanabe", "01:58:40", "Microsoft Office"),
            ("takeshi.kobayashi", "01:02:26", "Microsoft Teams"), ("alice.tanaka", "00:31:05", "Microsoft Teams")]
    ua = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 "
          "Safari/537.36 Edg/134.0.0.0")
    policy = {"id": gid("ca", "Require MFA for all users"), "displayName": "Require MFA for all users",
              "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "success"}
    out = []
    for i, (key, hms, app) in enumerate(rows):
        u = USERS[key]
        app_id, res_name, res_id, client = APPS[app]
        dt, ticks = utc("2025-03-18T" + hms), num("beta-ticks", str(i))
        when = z7(dt, ticks)
        sid = uuid.UUID(gid("beta-signin", str(i)))
        token = base64.urlsafe_b64encode(sid.bytes_le).decode().rstrip("=")
        expired = i == 6
        status = ({"errorCode": 70044, "failureReason": "The session has expired or is invalid due to sign-in "
                   "frequency checks by conditional access.", "additionalDetails": None} if expired else
                  {"errorCode": 0, "failureReason": "Other.", "additionalDetails": None})
        r = {"id": str(sid), "createdDateTime": when, "userDisplayName": u.name, "userPrincipalName": u.upn,
             "userId": u.id, "appId": app_id, "appDisplayName": app, "ipAddress": u.ip, "clientAppUsed": client,
             "userAgent": ua, "correlationId": gid("corr", "beta", str(i)), "conditionalAccessStatus": "success",
             "originalRequestId": str(sid), "isInteractive": False, "tokenIssuerName": "", "tokenIssuerType": "AzureAD",
             "processingTimeInMilliseconds": 40 + num("ms", str(i), mod=120), "riskDetail": "none",
             "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
             "riskEventTypes_v2": [], "resourceDisplayName": res_name, "resourceId": res_id,
             "resourceTenantId": gid("tenant", DOMAIN), "homeTenantId": gid("tenant", DOMAIN),
             "authenticationRequirement": "singleFactorAuthentication", "signInIdentifier": "",
             "signInEventTypes": ["nonInteractiveUser"], "servicePrincipalId": "", "servicePrincipalName": None,
             "userType": "member", "crossTenantAccessType": "none", "incomingTokenType": "refreshToken",
             "authenticationProtocol": "none", "originalTransferMethod": "none", "uniqueTokenIdentifier": token,
             "sessionId": gid("session", key), "autonomousSystemNumber": asn[u.ip], "status": status,
             "deviceDetail": dict(u.dev), "location": u.loc, "appliedConditionalAccessPolicies": [policy],
             "authenticationDetails": [{
                 "authenticationStepDateTime": when, "authenticationMethod": "Previously satisfied",
                 "authenticationMethodDetail": None, "succeeded": not expired,
                 "authenticationStepResultDetail": ("Session expired" if expired else
                                                    "First factor requirement satisfied by claim in the token"),
                 "authenticationStepRequirement": ""}]}
        if i == 3:
            r["someFutureProperty"] = {"enabled": True}  # schema drift: keep, do not reject
        out.append(r)
    return out


# ---------------------------------------------------------------- directory audits
def by_user(u, ip):
    return {"app": None, "user": {"id": u.id, "displayName": None, "userPrincipalName": u.upn, "ipAddress": ip,
                                  "userType": None, "homeTenantId": None, "homeTenantName": None}}


def t_user(u, display=None, mods=(), upn=None):
    return {"id": u.id, "displayName": display, "type": "User", "userPrincipalName": upn or u.upn,
            "groupType": None, "modifiedProperties": [dict(zip(("displayName", "oldValue", "newValue"), m)) for m in mods]}


def t_other(kind, oid, display=None):
    return {"id": oid, "displayName": display, "type": kind, "userPrincipalName": None, "groupType": None,
            "modifiedProperties": []}


def audit(id_, category, corr, result, reason, activity, when, service, op, initiated, targets, details=()):
    return {"id": id_, "category": category, "correlationId": corr, "result": result, "resultReason": reason,
            "activityDisplayName": activity, "activityDateTime": when, "loggedByService": service,
            "operationType": op, "initiatedBy": initiated, "targetResources": targets,
            "additionalDetails": [{"key": k, "value": v} for k, v in details]}


PROGRESS, SSPR_SVC = "Self-service password reset flow activity progress", "Self-service Password Management"


def sspr_flow(u, ip, name, steps):
    """steps: (when, activity, result, resultReason); one correlationId per flow."""
    corr = gid("sspr", name)
    return [audit(f"SSPR_{corr}_{i}", "UserManagement", corr, res, why, act, when, SSPR_SVC, "Update",
                  by_user(u, ip), [t_user(u, u.name)]) for i, (when, act, res, why) in enumerate(steps, 1)]


def core(name, when, activity, category, op, targets, initiated=None, details=(), service="Core Directory",
         prefix="Directory"):
    corr = gid("audit", name)
    shard = ["ZTHN8", "VNXV4", "MCDC4", "8BHM4"][num(name, mod=4)]
    return audit(f"{prefix}_{corr}_{shard}_{num(name, mod=10**8):08d}", category, corr, "success", "", activity,
                 when, service, op, initiated or by_user(ADMIN, OFFICE_TOKYO), targets, details)


def directory_audits():
    """SSPR flows of user03 (seed) and emi, and ~10 admin / app records; newest first."""
    start, done = ("User started the mobile SMS verification option",
                   "User completed the mobile SMS verification option")
    ok = lambda when, why: (when, PROGRESS, "success", why)
    reset = lambda when: (when, "Reset password (self-service)", "success", "Successfully completed reset.")
    recs = []
    recs += sspr_flow(EMI, EMI.ip, "emi-1", [ok("2025-03-16T03:04:31.2209941Z", start),
                                            ok("2025-03-16T03:05:12.88Z", done),
                                            ok("2025-03-16T03:05:51.6170315Z", "User submitted a new password"),
                                            reset("2025-03-16T03:05:52.1170315Z")])
    recs += sspr_flow(U03, LAB_IP, "user03-flow1", [ok("2025-03-17T16:21:05.1234567Z", start),
                                                    ok("2025-03-17T16:21:38.59Z", done),
                                                    ok("2025-03-17T16:22:14.300412Z", "User submitted a new password"),
                                                    reset("2025-03-17T16:22:15.0871233Z")])
    recs += sspr_flow(U03, LAB_IP, "user03-flow2", [ok("2025-03-17T16:27:50.4471092Z", start),
                                                    ok("2025-03-17T16:29:02.0045613Z", done),
                                                    ok("2025-03-17T16:29:40.7Z", "User submitted a new password"),
                                                    reset("2025-03-17T16:29:41.2693301Z")])
    recs += sspr_flow(U03, LAB_IP, "user03-flow3a", [ok("2025-03-17T16:35:12.9180226Z", start)])
    recs += sspr_flow(U03, LAB_IP, "user03-flow3b", [
        ok("2025-03-17T16:38:55.3382716Z", start),
        ("2025-03-17T16:40:04.414272Z", PROGRESS, "failure",
         "User entered too many invalid SMS verification codes and is blocked for 24 hours"),
        ("2025-03-17T16:40:04.4152716Z", "Blocked from self-service password reset", "failure",
         "User throttle for attempting challenge: UserSMSOtp too many times.")])
    group = gid("group", "Partners-External")
    role = gid("role", "Global Administrator")
    guest_upn = "p.jones_fabrikam.com#EXT#@" + DOMAIN
    recs += [
        core("invite", "2025-03-16T01:02:11.8812345Z", "Invite external user", "UserManagement", "Add",
             [t_user(GUEST, "Patricia Jones (Fabrikam)", upn=guest_upn)], service="Invited Users"),
        core("add-guest-group", "2025-03-16T01:05:40.2213Z", "Add member to group", "GroupManagement", "Assign",
             [t_other("Group", group), t_user(GUEST, upn=guest_upn, mods=[
                 ("Group.ObjectID", None, f'"{group}"'), ("Group.DisplayName", None, '"Partners-External"')])]),
        core("update-alice", "2025-03-17T00:41:07.5512Z", "Update user", "UserManagement", "Update",
             [t_user(USERS["alice.tanaka"], mods=[("JobTitle", "[]", '["Sales Manager"]'),
                                                  ("Included Updated Properties", None, '"JobTitle"')])],
             details=[("UserType", "Member")]),
        core("role-bob", "2025-03-17T02:15:33.0412906Z", "Add member to role", "RoleManagement", "Assign",
             [t_user(BOB, mods=[("Role.ObjectID", None, f'"{role}"'),
                                ("Role.DisplayName", None, '"Global Administrator"'),
                                ("Role.TemplateId", None, '"62e90394-69f5-4237-9190-012177145e10"'),
                                ("Role.WellKnownObjectName", None, '"TenantAdmins"')]),
              t_other("Role", role)]),
        core("app-update-kenji", "2025-03-17T04:03:27.9102834Z", "Update user", "UserManagement", "Update",
             [t_user(USERS["kenji.yamamoto"], mods=[
                 ("ProxyAddresses", "[]", '["SMTP:kenji.yamamoto@contoso.onmicrosoft.com"]'),
                 ("Included Updated Properties", None, '"ProxyAddresses"')])],
             initiated={"app": {"appId": None, "displayName": "Microsoft Substrate Management",
                                "servicePrincipalId": gid("sp", "Microsoft Substrate Management"),
                                "servicePrincipalName": None}, "user": None}),
        core("reset-user02", "2025-03-17T15:58:21.6628104Z", "Reset user password", "UserManagement", "Update",
             [t_user(U02)]),
        core("disable-user04", "2025-03-17T18:20:44.18Z", "Disable account", "UserManagement", "Update",
             [t_user(U04, mods=[("AccountEnabled", "[true]", "[false]"),
                                ("Included Updated Properties", None, '"AccountEnabled"')])]),
        core("dismiss-daisuke", "2025-03-18T01:12:34.5512093Z", "DismissUser", "Other", "Update",
             [t_user(DAISUKE)], service="Identity Protection", prefix="IPCGraph"),
        core("remove-guest-group", "2025-03-18T02:30:05.4453911Z", "Remove member from group", "GroupManagement",
             "Unassign", [t_other("Group", group), t_user(GUEST, upn=guest_upn, mods=[
                 ("Group.ObjectID", f'"{group}"', None), ("Group.DisplayName", '"Partners-External"', None)])]),
    ]
    return sorted(recs, key=lambda r: r["activityDateTime"].rstrip("Z").ljust(27, "0"), reverse=True)


# ---------------------------------------------------------------- Identity Protection
def detection(key, user, event, state, level, detail, timing, activity, ip, when, detected, updated,
              request=None, corr=None, info="[]", loc=None):
    return {"id": hexid(key), "requestId": request, "correlationId": corr, "riskEventType": event,
            "riskState": state, "riskLevel": level, "riskDetail": detail, "source": "IdentityProtection",
            "detectionTimingType": timing, "activity": activity, "tokenIssuerType": "AzureAD", "ipAddress": ip,
            "activityDateTime": when, "detectedDateTime": detected, "lastUpdatedDateTime": updated,
            "userId": user.id, "userDisplayName": user.name, "userPrincipalName": user.upn,
            "additionalInfo": info, "location": loc}


def ua_info(ua, extra=()):
    items = [{"Key": "userAgent", "Value": ua}] + [{"Key": k, "Value": v} for k, v in extra]
    return json.dumps(items, separators=(",", ":"))


TOR_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
EDGE_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 "
           "Safari/537.36 Edg/134.0.0.0")


def risk_detections(dismissed=False):
    """First export (newest first). dismissed=True gives the later copy of the daisuke detection."""
    t04 = "2025-03-17T17:54:30.6982628Z"
    user04 = detection("user04-anon", U04, "anonymizedIPAddress", "atRisk", "medium", "none", "realtime", "signin",
                       TOR_IP, t04, t04, "2025-03-17T17:56:29.6611202Z", USER04_BLOCKED,
                       gid("corr", "user04-blocked"), ua_info(TOR_UA, [("mitreTechniques", "T1090.003,T1078")]),
                       geo("", "", "NL", 52.3759, 4.8975, altitude=False))
    tus = "2025-03-17T17:20:11.4417308Z"
    state, detail, updated = (("dismissed", "adminDismissedAllRiskForUser", "2025-03-18T01:12:34.5512093Z")
                              if dismissed else ("atRisk", "none", "2025-03-17T17:22:40.3015587Z"))
    daisuke = detection("daisuke-unfamiliar", DAISUKE, "unfamiliarFeatures", state, "low", detail, "realtime",
                        "signin", "192.0.2.77", tus, tus, updated, DAISUKE_US, gid("corr", "daisuke-us1"),
                        ua_info(EDGE_UA, [("mitreTechniques", "T1078")]),
                        geo("Seattle", "Washington", "US", 47.6062, -122.3321, altitude=False))
    if dismissed:
        return [daisuke]
    emi = detection("emi-leaked", EMI, "leakedCredentials", "remediated", "high", "userPerformedSecuredPasswordReset",
                    "offline", "user", None, "2025-03-15T00:00:00Z", "2025-03-16T02:10:47.0661835Z",
                    "2025-03-16T03:05:52.1170315Z", info='[{"Key":"alertUrl","Value":null}]')
    return [user04, daisuke, emi]


def risky_users():
    def ru(u, level, state, detail, when):
        return {"id": u.id, "isDeleted": False, "isProcessing": False, "riskLevel": level, "riskState": state,
                "riskDetail": detail, "riskLastUpdatedDateTime": when, "userDisplayName": u.name,
                "userPrincipalName": u.upn}
    return [ru(DAISUKE, "none", "dismissed", "adminDismissedAllRiskForUser", "2025-03-18T01:12:34.5512093Z"),
            ru(U04, "low", "atRisk", "none", "2025-03-17T17:56:42.6728408Z"),
            ru(EMI, "none", "remediated", "userPerformedSecuredPasswordReset", "2025-03-16T03:05:52.1170315Z")]


def risky_user_history_user04():
    def item(when, current):
        return {"id": U04.id if current else U04.id + str(net_ticks(when)), "isDeleted": False,
                "isProcessing": False, "riskLevel": "low", "riskState": "atRisk", "riskDetail": "none",
                "riskLastUpdatedDateTime": when, "userDisplayName": U04.name, "userPrincipalName": U04.upn,
                "userId": U04.id, "initiatedBy": None,
                "activity": {"eventTypes": ["anonymizedIPAddress"], "detail": None}}
    return [item("2025-03-17T17:56:42.6728408Z", True), item("2025-03-17T17:54:31.2045397Z", False)]

//! Graph complex types shared by several entities (docs/research/graph.md §1.1.1, §1.2).

use super::{f, Field, Kind::*};

/// `geoCoordinates`.
pub const GEO_COORDINATES: &[Field] = &[
    f("altitude", Float64, "Altitude in metres, usually null"),
    f("latitude", Float64, "Latitude in degrees"),
    f("longitude", Float64, "Longitude in degrees"),
];

/// `signInLocation`, used by signIn and riskDetection.
pub const LOCATION: &[Field] = &[
    f("city", Str, "City, empty when unknown"),
    f("state", Str, "State or province"),
    f("countryOrRegion", Str, "ISO 3166 alpha-2 country code"),
    f(
        "geoCoordinates",
        Object(GEO_COORDINATES),
        "Coordinates of the IP address",
    ),
];

/// `keyValue`.
pub const KEY_VALUE: &[Field] = &[f("key", Str, "Key"), f("value", Str, "Value")];

/// `modifiedProperty` of a directory audit target.
pub const MODIFIED_PROPERTY: &[Field] = &[
    f("displayName", Str, "Name of the changed property"),
    f("oldValue", Str, "Old value as sent (often JSON text)"),
    f("newValue", Str, "New value as sent (often JSON text)"),
];

//! Synthetic evidence: realistic Microsoft Graph exports of a whole tenant,
//! generated deterministically (benches, scale tests, the background tenant
//! of the detection tests).

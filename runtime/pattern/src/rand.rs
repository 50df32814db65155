//! Tidal random.

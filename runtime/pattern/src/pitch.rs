//! SuperCollider pitch model.

//! Shared helpers for patter tests.

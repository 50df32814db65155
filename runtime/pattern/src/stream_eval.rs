//! Stream evaluation.

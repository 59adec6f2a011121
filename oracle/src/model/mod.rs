//! Student model (filled in).

//! Percentiles for the timing harnesses and benchmarks that print their own figures.

/// The `q` quantile (0–1) of already sorted values, by nearest rank; NaN when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

/// Print one line: count, p50, p99 and max of `xs` in `unit`.
pub fn report(name: &str, unit: &str, mut xs: Vec<f64>) {
    xs.sort_by(f64::total_cmp);
    println!(
        "{name:<38} n={:<6} p50={:>8.2} p99={:>8.2} max={:>8.2} {unit}",
        xs.len(),
        percentile(&xs, 0.5),
        percentile(&xs, 0.99),
        xs.last().copied().unwrap_or(f64::NAN)
    );
}

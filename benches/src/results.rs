//! Figures of the benches that are not criterion benches (whole runs timed by a plain
//! `main`), written as flat JSON objects of numbers to `target/zego-bench/<name>.json` for
//! `cargo xtask bench` to read.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

/// Set by `cargo xtask bench --quick`: run the short variant.
pub const QUICK_ENV: &str = "ZEGO_BENCH_QUICK";
/// Where to write the figures (`cargo xtask bench` sets it to `<target>/zego-bench`).
pub const OUT_DIR_ENV: &str = "ZEGO_BENCH_OUT";

/// Whether `ZEGO_BENCH_QUICK` asks for the short variant.
pub fn quick() -> bool {
    std::env::var(QUICK_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `ZEGO_BENCH_OUT`, else `zego-bench/` in the target directory holding this bench binary
/// (`target/release/deps/<bench>`).
pub fn out_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(OUT_DIR_ENV) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), std::path::Path::to_path_buf)
        .join("zego-bench")
}

/// `{"key": value, ...}` with every value a finite number.
pub fn to_json(fields: &[(&str, f64)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let value = if value.is_finite() { *value } else { -1.0 };
        let _ = write!(out, "\"{key}\": {value}");
    }
    out.push_str("}\n");
    out
}

/// Writes `fields` to `<out_dir>/<name>.json` and returns the path.
pub fn write(name: &str, fields: &[(&str, f64)]) -> io::Result<PathBuf> {
    let dir = out_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, to_json(fields))?;
    Ok(path)
}

/// The median of `values` (the mean of the middle two for an even count); `NaN` if empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_flat_json() {
        assert_eq!(
            to_json(&[("a", 1.0), ("b", 2.5), ("c", f64::NAN)]),
            "{\"a\": 1, \"b\": 2.5, \"c\": -1}\n"
        );
    }

    #[test]
    #[allow(clippy::float_cmp)] // exact halves
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}

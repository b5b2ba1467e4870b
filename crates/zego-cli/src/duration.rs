//! Durations on the command line (`3600`, `90s`, `30m`, `6h`, `1d`, `1h30m`, `1h 30min`,
//! `2days`) and times in output.

use std::fmt::Write as _;

use zego_proto::ops::EffectiveTime;

/// Parses a duration in whole seconds: a plain number of seconds (`3600`), or anything
/// [`humantime::parse_duration`] accepts, e.g. `90s`, `30m`, `6h`, `1d`, `1h30m`, `1h 30min`,
/// `2days`, `1.5h` (units `s`/`sec`, `m`/`min`, `h`/`hours`, `d`/`days`, `w`, … ).
///
/// The result must be a whole number of seconds: `1500ms` is refused.
pub fn parse_secs(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration: give seconds (3600) or e.g. 90s, 30m, 6h, 1d".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|_| format!("duration {text:?} is too large"));
    }
    let duration = humantime::parse_duration(text).map_err(|e| match e {
        humantime::DurationError::UnknownUnit { unit, value, .. } if unit.is_empty() => format!(
            "invalid duration {text:?}: {value} has no unit (write {value}s, or only seconds)"
        ),
        humantime::DurationError::UnknownUnit { unit, .. } => format!(
            "invalid duration {text:?}: unknown unit {unit:?} (use s, m, h or d, e.g. 90s, 30m, 6h, 1d, 1h 30m)"
        ),
        humantime::DurationError::NumberOverflow => format!("duration {text:?} is too large"),
        other => format!("invalid duration {text:?}: {other} (e.g. 90s, 30m, 6h, 1d, 1h 30m)"),
    })?;
    if duration.subsec_nanos() != 0 {
        return Err(format!(
            "invalid duration {text:?}: not a whole number of seconds ({duration:?})"
        ));
    }
    Ok(duration.as_secs())
}

/// Parses a rule duration and checks it against ZEGO's `EffectiveTime` limits (1 s to 1 day).
pub fn parse_effective_time(text: &str) -> Result<EffectiveTime, String> {
    let secs = parse_secs(text)?;
    if secs > u64::from(EffectiveTime::MAX_SECS) {
        return Err(format!(
            "duration {text} is {secs} s: ZEGO's EffectiveTime limit is {} s (1d); use a shorter duration",
            EffectiveTime::MAX_SECS
        ));
    }
    EffectiveTime::new(secs).map_err(|e| format!("duration {text}: {e}"))
}

/// Formats seconds compactly: `3600` → `1h`, `5400` → `1h30m`, `59` → `59s`.
pub fn format_secs(secs: i64) -> String {
    if secs <= 0 {
        return format!("{secs}s");
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] {
        if rest >= unit {
            let _ = write!(out, "{}{name}", rest / unit);
            rest %= unit;
        }
    }
    out
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC` (no time-zone database needed).
pub fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let time = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seconds_and_units() {
        assert_eq!(parse_secs("3600"), Ok(3600));
        assert_eq!(parse_secs("90s"), Ok(90));
        assert_eq!(parse_secs("30m"), Ok(1800));
        assert_eq!(parse_secs("6h"), Ok(21_600));
        assert_eq!(parse_secs("1d"), Ok(86_400));
        assert_eq!(parse_secs("1h30m"), Ok(5400));
        for bad in [
            "",
            "h",
            "5x",
            "6h5",
            "-5",
            "1.5",
            "500ms",
            "1.5s",
            "5 parsecs",
        ] {
            assert!(parse_secs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_humantime_forms() {
        assert_eq!(parse_secs("1h 30m"), Ok(5400));
        assert_eq!(parse_secs("1h 30min"), Ok(5400));
        assert_eq!(parse_secs("10 m"), Ok(600));
        assert_eq!(parse_secs("2days"), Ok(172_800));
        assert_eq!(parse_secs("1.5h"), Ok(5400));
        assert_eq!(parse_secs("90sec"), Ok(90));
        assert_eq!(parse_secs("2000ms"), Ok(2));
        assert_eq!(parse_secs(" 45 "), Ok(45), "a bare number is still seconds");
    }

    #[test]
    fn errors_explain_themselves() {
        let err = parse_secs("6h5").unwrap_err();
        assert!(err.contains("5 has no unit"), "{err}");
        let err = parse_secs("5x").unwrap_err();
        assert!(err.contains("unknown unit \"x\""), "{err}");
        let err = parse_secs("500ms").unwrap_err();
        assert!(err.contains("whole number of seconds"), "{err}");
        let err = parse_secs("99999999999999999999").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = parse_secs("99999999999999999999d").unwrap_err();
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn effective_time_limit_is_named() {
        assert_eq!(parse_effective_time("1d").unwrap().as_secs(), 86_400);
        let err = parse_effective_time("25h").unwrap_err();
        assert!(err.contains("86400"), "{err}");
        assert_eq!(parse_effective_time("23h 59min").unwrap().as_secs(), 86_340);
        let err = parse_effective_time("2days").unwrap_err();
        assert!(err.contains("86400"), "{err}");
        let err = parse_effective_time("1 week").unwrap_err();
        assert!(err.contains("86400"), "{err}");
        assert!(parse_effective_time("0").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(format_secs(3600), "1h");
        assert_eq!(format_secs(5400), "1h30m");
        assert_eq!(format_secs(86_401), "1d1s");
        assert_eq!(format_unix(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}

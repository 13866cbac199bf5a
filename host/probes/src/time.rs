//! UTC timestamps in the envelope's ISO-8601 form, without a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Current time as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`.
#[must_use]
pub fn now_utc_iso8601() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_unix_micros(since.as_secs(), since.subsec_micros())
}

/// Formats seconds since the Unix epoch plus microseconds as
/// `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (proleptic Gregorian calendar).
#[must_use]
pub fn format_unix_micros(secs: u64, micros: u32) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        micros.min(999_999)
    )
}

/// Days since 1970-01-01 to (year, month, day); H. Hinnant's `civil_from_days` for
/// non-negative day counts.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::format_unix_micros;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix_micros(0, 0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            format_unix_micros(1_771_027_200, 123_456),
            "2026-02-14T00:00:00.123456+00:00"
        );
        // 2024-02-29 (leap day) 23:59:59
        assert_eq!(
            format_unix_micros(1_709_251_199, 7),
            "2024-02-29T23:59:59.000007+00:00"
        );
        assert_eq!(
            format_unix_micros(951_782_400, 0),
            "2000-02-29T00:00:00.000000+00:00"
        );
    }
}

//! Wording shared by every part of the report: durations and number agreement.

/// A duration as people say it: `40m`, `21h05m`, `22 days`.
pub fn duration(duration: chrono::Duration) -> String {
    let minutes = duration.num_minutes().abs();
    if minutes >= 48 * 60 {
        format!("{} days", minutes / (24 * 60))
    } else if minutes >= 60 {
        format!("{}h{:02}m", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}m")
    }
}

/// An instant to the minute, as the report writes it: `2025-08-25 11:29 UTC`.
pub fn minute(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `1 pod`, `2 pods`: a count with its noun in the right number.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_counts() {
        assert_eq!(duration(chrono::Duration::minutes(40)), "40m");
        assert_eq!(duration(chrono::Duration::minutes(21 * 60 + 5)), "21h05m");
        assert_eq!(duration(chrono::Duration::days(22)), "22 days");
        assert_eq!(count(1, "pod", "pods"), "1 pod");
        assert_eq!(count(3, "pod", "pods"), "3 pods");
        assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(and_list(&["a".into()]), "a");
    }
}

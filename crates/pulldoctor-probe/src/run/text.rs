//! Small words the step summaries share: durations, digests, sizes.

pub(super) fn ms(duration: u64) -> String {
    format!("{duration} ms")
}

pub(super) fn short_digest(digest: &str) -> String {
    // the digest comes from the registry's header: cut by characters, never inside one
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.chars().count() > 12 => format!("{algorithm}:{}", hex.chars().take(12).collect::<String>()),
        _ => digest.to_string(),
    }
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

pub(super) fn media_kind(media_type: &str) -> &'static str {
    if media_type.contains("oci") {
        "OCI"
    } else if media_type.contains("docker") {
        "Docker v2"
    } else {
        "unlabelled"
    }
}

pub(super) fn bytes(n: u64) -> String {
    match n {
        n if n >= 10 * 1024 * 1024 => format!("{} MiB", n / (1024 * 1024)),
        n if n >= 10 * 1024 => format!("{} KiB", n / 1024),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_shortened_without_splitting_a_character() {
        assert_eq!(short_digest("sha256:0123456789abcdef"), "sha256:0123456789ab");
        assert_eq!(short_digest("sha256:ééééééééééééé"), "sha256:éééééééééééé");
        assert_eq!(short_digest("weird"), "weird");
    }
}

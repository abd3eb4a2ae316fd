//! IAM wildcard matching (`*` = any run of characters, `?` = exactly one character).
//!
//! Used for the `Action`/`NotAction` elements (case-insensitive: "The prefix and the action name
//! are case insensitive", IAM User Guide, *IAM JSON policy elements: Action*) and the
//! `Resource`/`NotResource` elements (case-sensitive ARNs; "You can use wildcard characters (`*`
//! and `?`) within the individual segments of an ARN ... If the `*` wildcard is the last character
//! of a resource ARN segment, it can expand to match beyond the colon boundaries", IAM User Guide,
//! *IAM JSON policy elements: Resource*). This matcher treats `*` as matching any run of characters
//! including `:` and `/`, which agrees with AWS for every pattern whose `*` ends a segment (all the
//! ECR shapes: `arn:aws:ecr:*:123456789012:repository/*`).
//!
//! Policy variables (`${aws:username}`) are handled by the caller: it tokenises patterns itself
//! through [`Token`] and [`match_tokens`].

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A literal character.
    Lit(char),
    /// `?`: exactly one character.
    AnyOne,
    /// `*`: zero or more characters.
    AnyMany,
}

/// Compiles a pattern: `*` and `?` are wildcards, every other character is literal.
pub fn tokenize(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::AnyMany,
            '?' => Token::AnyOne,
            c => Token::Lit(c),
        })
        .collect()
}

/// `true` when `text` matches `pattern` (`*` and `?` wildcards).
/// `case_insensitive` compares ASCII letters without regard to case (IAM action names are ASCII).
pub fn matches(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let tokens = tokenize(pattern);
    let text: Vec<char> = text.chars().collect();
    match_tokens(&tokens, &text, case_insensitive)
}

fn same(a: char, b: char, case_insensitive: bool) -> bool {
    if case_insensitive { a.eq_ignore_ascii_case(&b) } else { a == b }
}

/// Iterative glob matching with single-star backtracking: O(len(pattern) * len(text)) worst case,
/// no recursion (so no stack overflow on hostile input).
pub fn match_tokens(pattern: &[Token], text: &[char], case_insensitive: bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Position of the last `*` seen and the text position it currently absorbs up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                Token::AnyMany => {
                    backtrack = Some((p, t));
                    p += 1;
                    continue;
                }
                Token::AnyOne => {
                    p += 1;
                    t += 1;
                    continue;
                }
                Token::Lit(c) if same(c, text[t], case_insensitive) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                Token::Lit(_) => {}
            }
        }
        match backtrack {
            Some((star, absorbed)) => {
                p = star + 1;
                t = absorbed + 1;
                backtrack = Some((star, absorbed + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|tok| *tok == Token::AnyMany)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Data-driven helper: (pattern, text, case_insensitive, expected).
    fn check(cases: &[(&str, &str, bool, bool)]) {
        for &(pattern, text, ci, expected) in cases {
            assert_eq!(matches(pattern, text, ci), expected, "pattern {pattern:?} vs {text:?} (case_insensitive={ci})");
        }
    }

    #[test]
    fn action_patterns() {
        check(&[
            ("*", "ecr:BatchGetImage", true, true),
            ("ecr:*", "ecr:BatchGetImage", true, true),
            ("ECR:*", "ecr:BatchGetImage", true, true),
            ("ecr:Get*", "ecr:GetDownloadUrlForLayer", true, true),
            ("ecr:get*", "ecr:GetDownloadUrlForLayer", true, true),
            ("ecr:Get*", "ecr:BatchGetImage", true, false),
            ("ecr:*Get*", "ecr:BatchGetImage", true, true),
            ("ecr:Batch?etImage", "ecr:BatchGetImage", true, true),
            ("ecr:Batch?etImage", "ecr:BatchetImage", true, false),
            ("ecr:BatchGetImage", "ecr:BatchGetImages", true, false),
            ("ecr:BatchGetImage", "ecr:batchgetimage", true, true),
            ("ec2:*", "ecr:BatchGetImage", true, false),
            ("", "", true, true),
            ("", "x", true, false),
            ("**", "", true, true),
            ("?", "", true, false),
        ]);
    }

    #[test]
    fn resource_patterns() {
        let repo = "arn:aws:ecr:us-east-1:123456789012:repository/team/app";
        check(&[
            ("*", repo, false, true),
            ("arn:aws:ecr:*:123456789012:repository/*", repo, false, true),
            ("arn:aws:ecr:us-east-1:123456789012:repository/team/*", repo, false, true),
            ("arn:aws:ecr:us-east-1:123456789012:repository/Team/*", repo, false, false),
            ("arn:aws:ecr:us-east-1:123456789012:repository/team/ap?", repo, false, true),
            ("arn:aws:ecr:us-east-1:210987654321:repository/*", repo, false, false),
            ("arn:aws:ecr:us-east-1:123456789012:*", repo, false, true),
            ("arn:aws:ecr:*", repo, false, true),
            // A repository ARN pattern never matches the "*" resource of GetAuthorizationToken.
            ("arn:aws:ecr:*", "*", false, false),
        ]);
    }
}

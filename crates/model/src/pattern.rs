//! The `*` patterns operators write in configs (identities, hosts, service accounts): one
//! matcher for every crate, so a pattern means the same thing everywhere.

/// Match `text` against `pattern`, where `*` matches any run of characters (including none)
/// and everything else matches literally.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = parts.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = rest.get(i + piece.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn stars_match_runs_and_the_rest_is_literal() {
        assert!(glob_match(
            "system:serviceaccount:*:prometheus*",
            "system:serviceaccount:m:prometheus-k8s"
        ));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("a*b*c", "a--c--b"));
        assert!(!glob_match("root", "rooty"));
        assert!(
            !glob_match("ab*ba", "aba"),
            "prefix and suffix may not overlap"
        );
    }
}

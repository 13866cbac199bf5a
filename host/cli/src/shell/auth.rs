//! Console-token resolution for `cohsh`.
//!
//! The token comes from `--auth-token` or `COHSH_AUTH_TOKEN`. The upstream placeholder
//! `changeme` is refused unless the operator opts in twice: the environment variable
//! `COHESIX_ALLOW_INSECURE_CONSOLE_AUTH=1` **and** the `--allow-insecure-auth` flag (the
//! 0.3.0-alpha2 queen still uses it; see the real-queen notes).

use core::fmt;

use super::tcp::Token;

/// The upstream placeholder token.
pub const PLACEHOLDER_TOKEN: &str = "changeme";
/// Environment variable of the opt-in.
pub const INSECURE_ENV: &str = "COHESIX_ALLOW_INSECURE_CONSOLE_AUTH";

/// Why no usable token could be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// No token given.
    Missing,
    /// The placeholder was given without both opt-ins.
    InsecurePlaceholder,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str(
                "console auth token is required; pass --auth-token or set COHSH_AUTH_TOKEN",
            ),
            Self::InsecurePlaceholder => write!(
                f,
                "console auth token is the insecure placeholder '{PLACEHOLDER_TOKEN}'; to use it \
                 anyway set {INSECURE_ENV}=1 and pass --allow-insecure-auth"
            ),
        }
    }
}

impl std::error::Error for TokenError {}

/// Resolves the token from the flag/env value, the `--allow-insecure-auth` flag and the
/// value of [`INSECURE_ENV`].
///
/// # Errors
/// [`TokenError`] when no token is given, or the placeholder lacks either opt-in.
pub fn resolve_token(
    token: Option<&str>,
    allow_flag: bool,
    insecure_env: Option<&str>,
) -> Result<Token, TokenError> {
    let token = token.map(str::trim).filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(TokenError::Missing);
    };
    if token == PLACEHOLDER_TOKEN && !(allow_flag && insecure_env.map(str::trim) == Some("1")) {
        return Err(TokenError::InsecurePlaceholder);
    }
    Ok(Token::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_needs_both_opt_ins() {
        assert_eq!(
            resolve_token(Some("changeme"), false, None).unwrap_err(),
            TokenError::InsecurePlaceholder
        );
        assert!(resolve_token(Some("changeme"), true, None).is_err());
        assert!(resolve_token(Some("changeme"), false, Some("1")).is_err());
        assert!(resolve_token(Some("changeme"), true, Some("0")).is_err());
        let t = resolve_token(Some("changeme"), true, Some("1")).unwrap();
        assert_eq!(t.expose(), "changeme");
    }

    #[test]
    fn other_tokens_pass_and_missing_fails() {
        assert_eq!(
            resolve_token(Some(" s3cret "), false, None).map(|t| t.expose().to_owned()),
            Ok("s3cret".into())
        );
        assert_eq!(
            resolve_token(None, true, Some("1")).unwrap_err(),
            TokenError::Missing
        );
        assert_eq!(
            resolve_token(Some("  "), false, None).unwrap_err(),
            TokenError::Missing
        );
        // The error text never contains a real token.
        let t = resolve_token(Some("s3cret"), false, None).unwrap();
        assert!(!format!("{t:?}").contains("s3cret"));
    }
}

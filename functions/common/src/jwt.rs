//! HS256 tokens for local mode: minted by `local token`, verified by the dev server.
//! On Lambda, API Gateway's JWT authorizer verifies Cognito's tokens instead.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::digest::{HmacSha256, hmac_sha256};
use hmac::Mac;

use domain::identity::Claims;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// The longest a local token may live (Cognito's access tokens default to an hour; API
/// Gateway checks those on AWS).
pub const MAX_LIFETIME_SECONDS: i64 = 24 * 3600;
/// Clocks differ a little between whoever minted a token and this server.
const SKEW_SECONDS: i64 = 60;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token is not signed with HS256")]
    Algorithm,
    #[error("the token's signature does not match")]
    Signature,
    #[error("the token has no exp claim")]
    NoExpiry,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token lives longer than {} hours", MAX_LIFETIME_SECONDS / 3600)]
    TooLong,
    #[error("the token has no sub claim")]
    NoSubject,
}

#[allow(
    clippy::expect_used,
    reason = "claims are strings, numbers and lists of strings: serde_json cannot fail on them"
)]
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let unsigned = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = mac(secret, unsigned.as_bytes()).finalize().into_bytes();
    format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Verifies signature, algorithm, expiry, not-before and lifetime (`now` in epoch
/// seconds): at most [`MAX_LIFETIME_SECONDS`] from its issue, or from now.
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed)
    };
    let header: serde_json::Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(TokenError::Algorithm);
    }
    let signed_len = token.len() - signature.len() - 1;
    mac(secret, &token.as_bytes()[..signed_len])
        .verify_slice(&decode(signature)?)
        .map_err(|_| TokenError::Signature)?;
    let claims: Claims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
    let exp = claims.exp.ok_or(TokenError::NoExpiry)?;
    let issued = claims.iat.unwrap_or(now).min(now);
    match () {
        _ if exp <= now => Err(TokenError::Expired),
        _ if claims.nbf.is_some_and(|nbf| nbf > now + SKEW_SECONDS) => Err(TokenError::NotYetValid),
        _ if exp - issued > MAX_LIFETIME_SECONDS + SKEW_SECONDS => Err(TokenError::TooLong),
        _ if claims.sub.is_empty() => Err(TokenError::NoSubject),
        _ => Ok(claims),
    }
}

fn mac(secret: &[u8], data: &[u8]) -> HmacSha256 {
    let mut mac = hmac_sha256(secret);
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "u1".into(),
            exp: Some(exp),
            groups: vec!["agent".into()],
            ..Claims::default()
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign(&claims(100), b"secret");
        assert_eq!(verify(&token, b"secret", 99).unwrap(), claims(100));
        assert_eq!(verify(&token, b"secret", 100), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_secret_or_tampered_with_is_refused() {
        let token = sign(&claims(100), b"secret");
        assert_eq!(verify(&token, b"other", 1), Err(TokenError::Signature));
        let forged = sign(
            &Claims {
                sub: "admin".into(),
                ..claims(100)
            },
            b"other",
        );
        let spliced = format!(
            "{}.{}",
            token.rsplit_once('.').unwrap().0.split('.').next().unwrap(),
            forged.split('.').skip(1).collect::<Vec<_>>().join(".")
        );
        assert_eq!(verify(&spliced, b"secret", 1), Err(TokenError::Signature));
        assert_eq!(verify("abc", b"secret", 1), Err(TokenError::Malformed));
    }

    #[test]
    fn a_token_lives_a_day_at_most_and_not_before_its_nbf() {
        let day = MAX_LIFETIME_SECONDS;
        let lifetime = |iat: Option<i64>, exp: i64| Claims { iat, ..claims(exp) };
        let ok = sign(&lifetime(Some(1_000), 1_000 + day), b"s");
        assert!(verify(&ok, b"s", 1_000).is_ok());
        let century = sign(&claims(1_000 + 100 * 365 * 86_400), b"s");
        assert_eq!(verify(&century, b"s", 1_000), Err(TokenError::TooLong));
        // Issued long ago for a long time: too long even once most of it has passed.
        let long_ago = sign(&lifetime(Some(0), 3 * day), b"s");
        assert_eq!(
            verify(&long_ago, b"s", 2 * day + 5),
            Err(TokenError::TooLong)
        );
        let later = Claims {
            nbf: Some(5_000),
            ..claims(6_000)
        };
        let later = sign(&later, b"s");
        assert_eq!(verify(&later, b"s", 1_000), Err(TokenError::NotYetValid));
        assert!(verify(&later, b"s", 5_000).is_ok());
    }

    #[test]
    fn unsigned_tokens_and_tokens_without_expiry_are_refused() {
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"u","exp":99999999999}"#)
        );
        assert_eq!(verify(&none_alg, b"secret", 1), Err(TokenError::Algorithm));
        let no_exp = sign(
            &Claims {
                sub: "u".into(),
                ..Claims::default()
            },
            b"secret",
        );
        assert_eq!(verify(&no_exp, b"secret", 1), Err(TokenError::NoExpiry));
    }
}

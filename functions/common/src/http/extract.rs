use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use domain::identity::{Caller, Claims};
use messaging::{ApiError, AppState, Idempotency, IdentitySource};

use crate::jwt;

use super::HttpError;

/// Who is calling, from API Gateway's authorizer claims (Lambda) or a verified HS256
/// bearer token (local mode). No identity: 401.
pub(super) fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let claims = match &state.identity {
        IdentitySource::ApiGateway => authorizer_claims(parts)
            .ok_or_else(|| ApiError::Unauthorized("no verified token on this request".into()))?,
        IdentitySource::Hs256 { secret } => {
            let token = parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    ApiError::Unauthorized("Authorization: a Bearer token is required".into())
                })?;
            jwt::verify(token.trim(), secret, state.clock.now().timestamp())
                .map_err(|e| ApiError::Unauthorized(format!("Authorization: {e}")))?
        }
    };
    Caller::new(claims).map_err(|e| ApiError::Unauthorized(format!("token: {e}")))
}

fn authorizer_claims(parts: &Parts) -> Option<Claims> {
    use lambda_http::request::RequestContext;
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(context) => {
            Claims::from_authorizer(&context.authorizer.as_ref()?.jwt.as_ref()?.claims)
        }
        _ => None,
    }
}

/// The caller the route's gate authenticated and admitted (see [`super::Routes::on`]).
pub struct Authenticated(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.remove::<Caller>() {
            Some(caller) => Ok(Self(caller)),
            // A route declared without a gate cannot ask who is calling.
            None => Err(ApiError::Unexpected(anyhow::anyhow!(
                "route without a gate asked for its caller"
            ))
            .into()),
        }
    }
}

/// A JSON body: one not declared `application/json` is a 415; a malformed one is a 400
/// whose message names the field at fault.
pub struct JsonBody<T>(pub T);

/// Whether a request declares a JSON body (`application/json`, any parameters).
fn declares_json(request: &Request) -> bool {
    request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = declares_json(&request);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge("the request body is too large".into())
                } else {
                    ApiError::invalid(format!("body: {}", rejection.body_text()))
                }
            })?;
        if bytes.is_empty() {
            return Err(ApiError::invalid("body: a JSON object is required").into());
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType(
                "Content-Type: the body must be declared application/json".into(),
            )
            .into());
        }
        let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(deserializer)
            .map(JsonBody)
            .map_err(|error| {
                let path = error.path().to_string();
                let inner = error.into_inner();
                let field = if path == "." {
                    "body".to_string()
                } else {
                    path
                };
                ApiError::invalid(format!("{field}: {inner}")).into()
            })
    }
}

/// Query-string parameters; a bad one is a 400 naming it.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Params(v))
            .map_err(|rejection| {
                let text = rejection.body_text();
                ApiError::invalid(
                    text.strip_prefix("Failed to deserialize query string: ")
                        .unwrap_or(&text)
                        .to_string(),
                )
                .into()
            })
    }
}

/// The optional `Idempotency-Key` header.
pub struct IdempotencyHeader(pub Option<String>);

impl utoipa::IntoParams for IdempotencyHeader {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{Required, schema::ObjectBuilder, schema::Type};
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Retry safely: the same key from the same caller returns the first result \
                     and creates nothing new",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(255)),
                ))
                .build(),
        ]
    }
}

impl IdempotencyHeader {
    /// The key as this caller's, for this route and request (a key reused for another
    /// request is refused rather than answered with an unrelated result).
    pub fn for_request(
        self,
        caller: &Caller,
        route: &str,
        request: &impl serde::Serialize,
    ) -> Result<Option<Idempotency>, ApiError> {
        self.0
            .map(|key| Idempotency::new(caller.id(), &key, route, request))
            .transpose()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(Self(None)),
            Some(value) => value
                .to_str()
                .map(|v| Self(Some(v.to_string())))
                .map_err(|_| ApiError::invalid("Idempotency-Key: must be visible ASCII").into()),
        }
    }
}

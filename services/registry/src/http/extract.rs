//! What handlers take from a request: the caller ([`Principal`]), where it came from
//! ([`Origin`]), and bodies read when the handler asks, after it has checked the caller's role:
//! a client without the role learns nothing about what the body should be (403 first, audited
//! as a denial), and no work is done for it.

use std::marker::PhantomData;

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use crate::audit::Origin;
use crate::auth::Principal;
use crate::error::{ApiError, FieldError, Invalid};
use crate::state::AppState;

/// A body not read yet, with the request's headers and the most it may hold.
pub struct LazyBody {
    headers: HeaderMap,
    body: Body,
    limit: usize,
    /// Already found larger than the limit (by the idempotency layer, which read it).
    too_large: bool,
}

/// Marks a request whose body a layer found larger than `body_limit`: the handler says 413
/// when it reads the body, after it has checked the caller (a 403 comes first).
#[derive(Debug, Clone, Copy)]
pub struct BodyTooLarge;

impl<S> FromRequest<S> for LazyBody
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        Ok(Self {
            too_large: parts.extensions.get::<BodyTooLarge>().is_some(),
            headers: parts.headers,
            body,
            limit: AppState::from_ref(state).config.body_limit,
        })
    }
}

impl LazyBody {
    /// The body's media type, lowercase, without parameters ("" when none is given).
    pub fn media_type(&self) -> String {
        media_type(&self.headers)
    }

    /// The bytes (413 past the body limit: read only this far).
    pub async fn bytes(self) -> Result<Bytes, ApiError> {
        if self.too_large {
            return Err(ApiError::PayloadTooLarge);
        }
        axum::body::to_bytes(self.body, self.limit).await.map_err(|e| {
            let mut too_large = false;
            let mut cause: Option<&dyn std::error::Error> = Some(&e);
            while let Some(c) = cause {
                too_large |= c.to_string().contains("length limit exceeded");
                cause = c.source();
            }
            if too_large {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("the request body could not be read to its end".into())
            }
        })
    }
}

/// The media type of a request, lowercase, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A JSON body of type `T`, parsed by [`JsonBody::read`].
pub struct JsonBody<T> {
    body: LazyBody,
    _type: PhantomData<fn() -> T>,
}

impl<S, T> FromRequest<S> for JsonBody<T>
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            body: LazyBody::from_request(request, state).await?,
            _type: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// Reads and parses the body: 415 when it is not `application/json`, 400 when it is not
    /// JSON, 422 (`invalid-body`, with the field) when it does not fit `T`.
    pub async fn read(self) -> Result<T, ApiError> {
        let media = self.body.media_type();
        if media != "application/json" && !(media.starts_with("application/") && media.ends_with("+json")) {
            return Err(ApiError::UnsupportedMediaType(if media.is_empty() {
                "say what the body is: Content-Type application/json".into()
            } else {
                format!(
                    "{} is not accepted here: send application/json",
                    crate::text::echo(&media)
                )
            }));
        }
        let bytes = self.body.bytes().await?;
        parse_json(&bytes)
    }
}

/// Parses JSON into `T` with errors as [`JsonBody::read`] gives them.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let message = crate::text::clip(&inner.to_string(), 300);
            let field = if path == "." { "body".to_string() } else { path };
            ApiError::Unprocessable(
                Invalid::Body,
                format!("the body does not fit this operation at {field}: {message}"),
                vec![FieldError::new(field, message)],
            )
        } else {
            ApiError::BadRequest(format!(
                "the body is not JSON (line {}, column {}): {}",
                inner.line(),
                inner.column(),
                crate::text::clip(&inner.to_string(), 300)
            ))
        }
    })
}

impl<S> FromRequestParts<S> for Principal
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let found = match parts
            .extensions
            .get::<crate::http::middleware::authenticate::Authentication>()
        {
            Some(found) => found.clone(),
            // Outside the application's layers (a handler called alone): read it here.
            None => {
                crate::http::middleware::authenticate::Authentication::of(&AppState::from_ref(state), &parts.headers)
            }
        };
        match found.0 {
            Ok(Some(principal)) => Ok(principal),
            Ok(None) => Err(ApiError::Unauthorized(
                "this needs a bearer token: send `Authorization: Bearer <JWT>`".into(),
            )),
            Err(message) => Err(ApiError::Unauthorized(message)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Origin::from_request(&parts.headers, &parts.extensions))
    }
}

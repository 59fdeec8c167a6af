//! Extractors the features share: JSON bodies whose rejections name the problem, and the
//! language a page is shown in.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

/// `Json<T>` whose rejections are problem+json errors naming what was wrong.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::BadBody(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadBody(e.body_text())),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::BadBody(
                "expected Content-Type: application/json".into(),
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(e) => Err(ApiError::BadBody(e.body_text())),
        }
    }
}

/// The language a page is shown in: Chinese unless the person chose English (the language
/// cookie set by `/lang`).
pub(crate) struct PageLang(pub(crate) crate::ui::Lang);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(PageLang(crate::ui::lang_of(&parts.headers)))
    }
}

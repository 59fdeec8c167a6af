//! Extractors every feature's JSON routes share.

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

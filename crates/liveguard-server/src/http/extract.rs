//! Extractors the features share: JSON bodies whose rejections name the problem, the
//! language a page is shown in, and a page form whose CSRF field is checked.

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

/// A form posted from a page, its `csrf` field checked against the signed-in person's
/// session before the handler runs; a missing or wrong one is answered with the error page
/// (403) and nothing else of the form is read. `T` is the form's fields: a struct for a
/// fixed form (its `csrf` field need not be declared), or the default list of pairs for a
/// form with repeated fields. Put it after the handler's
/// [`crate::http::auth::UiPrincipal`], which finds the session.
pub(crate) struct CsrfForm<T = Vec<(String, String)>>(pub(crate) T);

impl<T: DeserializeOwned> FromRequest<crate::AppState> for CsrfForm<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let lang = crate::ui::lang_of(req.headers());
        let Some(crate::http::auth::PageCaller(p)) = req
            .extensions()
            .get::<crate::http::auth::PageCaller>()
            .cloned()
        else {
            return Err(axum::response::Redirect::to("/login").into_response());
        };
        let is_form = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let refuse =
            |message: String| crate::ui::error_page(lang, Some(&p), ApiError::BadBody(message));
        if !is_form {
            return Err(refuse(
                "expected Content-Type: application/x-www-form-urlencoded".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| refuse(format!("the form could not be read: {e}")))?;
        if let Some(refused) = crate::ui::csrf_refusal(lang, &p, &fields) {
            return Err(refused);
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| refuse(format!("the form could not be read: {e}")))?;
        Ok(CsrfForm(form))
    }
}

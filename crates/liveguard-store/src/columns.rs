//! How columns holding core types are read. A time is a [`Stamp`] whichever form its column
//! has (RFC 3339 text in `*_at`, Unix milliseconds in `*_ms`); a nullable role is an
//! `Option<Role>`. Rows name these in `#[sqlx(try_from = …)]`; hand-read rows use the
//! functions below.

use liveguard_core::Role;
use liveguard_core::clock::{BadTime, Stamp};
use sqlx::Row;

use crate::{Result, StoreError};

/// A nullable RFC 3339 text column, read as `Option<Stamp>`.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub(crate) struct TextTime(Option<String>);

impl TryFrom<TextTime> for Option<Stamp> {
    type Error = BadTime;
    fn try_from(stored: TextTime) -> std::result::Result<Self, BadTime> {
        stored.0.as_deref().map(Stamp::parse).transpose()
    }
}

/// A nullable Unix-milliseconds column, read as `Option<Stamp>`.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub(crate) struct MsTime(Option<i64>);

impl From<MsTime> for Option<Stamp> {
    fn from(stored: MsTime) -> Self {
        stored.0.map(Stamp::from_ms)
    }
}

/// A nullable role column, read as `Option<Role>`.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub(crate) struct RoleColumn(Option<String>);

impl TryFrom<RoleColumn> for Option<Role> {
    type Error = liveguard_core::ParseError;
    fn try_from(stored: RoleColumn) -> std::result::Result<Self, Self::Error> {
        stored.0.map(Role::try_from).transpose()
    }
}

fn corrupt(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {e}"))
}

/// Reads an RFC 3339 text column of a hand-read row.
pub(crate) fn text_time<R: Row>(row: &R, column: &str) -> Result<Stamp>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text: String = row.try_get(column)?;
    Stamp::parse(&text).map_err(|e| corrupt(column, e))
}

/// Reads a nullable RFC 3339 text column of a hand-read row.
pub(crate) fn opt_text_time<R: Row>(row: &R, column: &str) -> Result<Option<Stamp>>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text: Option<String> = row.try_get(column)?;
    text.as_deref()
        .map(Stamp::parse)
        .transpose()
        .map_err(|e| corrupt(column, e))
}

/// Reads a nullable role column of a hand-read row.
pub(crate) fn opt_role<R: Row>(row: &R, column: &str) -> Result<Option<Role>>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text: Option<String> = row.try_get(column)?;
    text.map(Role::try_from)
        .transpose()
        .map_err(|e| corrupt(column, e))
}

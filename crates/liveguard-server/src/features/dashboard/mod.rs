//! The dashboard (工作台): what each person has to do today, counted from every feature's
//! data and linked to the queue where it is done, with the week's trends as charts. It only
//! reads; every count comes from the owning feature's store queries or services.

pub mod pages;
pub mod service;

use axum::routing::get;

use crate::http::routes::RouteSet;

/// This feature's routes: the dashboard page.
pub fn routes() -> RouteSet {
    RouteSet::new().page("/", get(pages::dashboard))
}

//! Master data: live rooms, streamers and session plans (lineups with prices).

pub mod api;

use crate::http::perms::Permission;
use crate::http::routes::{Access, RouteSet};

/// This feature's routes, each declared once.
pub fn routes() -> RouteSet {
    RouteSet::new()
        .api(
            "get",
            "/api/v1/rooms",
            Access::Perm(Permission::ViewReviews),
            "Live rooms (platform, account, operator)",
            api::list_rooms,
        )
        .api(
            "post",
            "/api/v1/rooms",
            Access::Perm(Permission::ManageProducts),
            "Add a live room",
            api::create_room,
        )
        .api(
            "get",
            "/api/v1/streamers",
            Access::Perm(Permission::ViewReviews),
            "Streamers (name, agency)",
            api::list_streamers,
        )
        .api(
            "post",
            "/api/v1/streamers",
            Access::Perm(Permission::ManageProducts),
            "Add a streamer",
            api::create_streamer,
        )
        .api(
            "get",
            "/api/v1/plans",
            Access::Perm(Permission::ViewReviews),
            "Live session plans: date, room, streamers, lineup with prices and promotions",
            api::list_plans,
        )
        .api(
            "post",
            "/api/v1/plans",
            Access::Perm(Permission::ManageProducts),
            "Add a session plan; the room, streamers and products must exist",
            api::create_plan,
        )
        .api(
            "get",
            "/api/v1/plans/{id}",
            Access::Perm(Permission::ViewReviews),
            "One session plan",
            api::get_plan,
        )
}

//! The master-data page (主数据): products with their facts, live rooms, streamers and
//! session plans, listed and added with validation. A refused form comes back with what was
//! typed and the message beside its field.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use liveguard_core::{MasterKind, ProductCategory};
use maud::html;

use super::service::{self, LineupItem, LiveRoom, SessionPlan, Streamer, records};
use crate::AppState;
use crate::features::review::service::{ProductBody, add_product};
use crate::http::auth::{Principal, UiPrincipal};
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::http::perms::Permission;
use crate::ui::{
    Label, Lang, beijing_input, error_box, error_page, field_error, page, picker_value, tr, when,
};

/// Lineup rows on the plan form.
const LINEUP_ROWS: usize = 5;

type Fields = [(String, String)];

/// The value of field `name`, empty when absent.
fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    crate::ui::form_field(fields, name).unwrap_or("")
}

/// `GET /master`
pub(crate) async fn master_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    view(&state, &p, lang, None).await
}

/// The page; `refused` is the form that was refused: its kind, what was sent, and why.
async fn view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    refused: Option<(&str, &Fields, &ApiError)>,
) -> Response {
    if let Err(e) = p.require(Permission::ViewReviews) {
        return error_page(lang, Some(p), e);
    }
    let loaded = async {
        Ok::<_, ApiError>((
            state.store.products().await?,
            records::<LiveRoom>(state, MasterKind::Room).await?,
            records::<Streamer>(state, MasterKind::Streamer).await?,
            records::<SessionPlan>(state, MasterKind::Plan).await?,
        ))
    };
    let (products, rooms, streamers, plans) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let choices = Choices {
        rooms,
        streamers,
        products: products.iter().map(|r| (r.id, r.name.clone())).collect(),
    };
    let manage = p.can(Permission::ManageProducts);
    let empty: Vec<(String, String)> = Vec::new();
    // What a form shows: what was typed when it was refused, else empty.
    let typed = |kind: &str| -> &Fields {
        match refused {
            Some((k, f, _)) if k == kind => f,
            _ => &empty,
        }
    };
    let error_of = |kind: &str| match refused {
        Some((k, _, e)) if k == kind => Some(e),
        _ => None,
    };
    let category_of = |code: &str| {
        code.parse::<ProductCategory>()
            .map(|c| c.label(lang))
            .unwrap_or("—")
    };
    let body = html! {
        @if let Some((_, _, e)) = refused { (error_box(&format!("{}{}", tr(lang, "未保存（已填写的内容保留在下方表单中）：", "Not saved (what you typed is kept in the form below): "), crate::ui::error_text(lang, e)))) }
        div.card #products {
            h3 { (tr(lang, "商品", "Products")) }
            table {
                thead { tr { th { "#" } th { (tr(lang, "名称", "Name")) } th { (tr(lang, "品类", "Category")) } th { (tr(lang, "备案/注册号", "Filing / registration")) } th { (tr(lang, "已核准功效", "Approved claims")) } th { (tr(lang, "七日无理由退货", "7-day return")) } @if manage { th {} } } }
                tbody { @for pr in &products {
                    @let facts = serde_json::from_str::<liveguard_screen::product::Product>(&pr.data).unwrap_or_default();
                    tr {
                        td { (pr.id) } td { (pr.name) } td { (category_of(&pr.category)) }
                        td { (facts.cosmetic_filing.or(facts.registration).or(facts.sc_number).unwrap_or_else(|| "—".into())) }
                        td { (if facts.approved_claims.is_empty() { "—".to_string() } else { facts.approved_claims.join("、") }) }
                        td { (match facts.seven_day_return { Some(true) => tr(lang, "适用", "yes"), Some(false) => tr(lang, "不适用", "no"), None => "—" }) }
                        @if manage { td { a href=(format!("/master/product/{}", pr.id)) data-testid="edit-product" { (tr(lang, "修改", "Edit")) } } }
                    }
                } }
            }
            @if manage {
                (product_form(lang, p, "/master/product", typed("product"), error_of("product")))
            }
        }
        div.card #rooms {
            h3 { (tr(lang, "直播间", "Live rooms")) }
            table { thead { tr { th { "#" } th { (tr(lang, "平台", "Platform")) } th { (tr(lang, "账号", "Account")) } th { (tr(lang, "运营主体", "Operator")) } @if manage { th {} } } }
                tbody { @for (id, r) in &choices.rooms { tr { td { (id) } td { (r.platform) } td { (r.account) } td { (r.operator) } @if manage { td { a href=(format!("/master/room/{id}")) data-testid="edit-room" { (tr(lang, "修改", "Edit")) } } } } } } }
            @if manage { (room_form(lang, p, "/master/room", typed("room"), error_of("room"))) }
        }
        div.card #streamers {
            h3 { (tr(lang, "主播", "Streamers")) }
            table { thead { tr { th { "#" } th { (tr(lang, "姓名", "Name")) } th { (tr(lang, "机构", "Agency")) } @if manage { th {} } } }
                tbody { @for (id, st) in &choices.streamers { tr { td { (id) } td { (st.name) } td { (st.agency.as_deref().unwrap_or("—")) } @if manage { td { a href=(format!("/master/streamer/{id}")) data-testid="edit-streamer" { (tr(lang, "修改", "Edit")) } } } } } } }
            @if manage { (streamer_form(lang, p, "/master/streamer", typed("streamer"), error_of("streamer"))) }
        }
        div.card #plans {
            h3 { (tr(lang, "直播排期", "Session plans")) }
            table { thead { tr { th { "#" } th { (tr(lang, "标题", "Title")) } th { (tr(lang, "开播", "Starts")) } th { (tr(lang, "商品数", "Products")) } @if manage { th {} } } }
                tbody { @for (id, pl) in &plans { tr { td { (id) } td { (pl.title) } td { (liveguard_store::Stamp::parse(&pl.starts_at).map(|t| when(lang, t)).unwrap_or_else(|_| pl.starts_at.clone())) } td { (pl.lineup.len()) } @if manage { td { a href=(format!("/master/plan/{id}")) data-testid="edit-plan" { (tr(lang, "修改", "Edit")) } } } } } } }
            @if manage { (plan_form(lang, p, "/master/plan", typed("plan"), error_of("plan"), &choices)) }
        }
    };
    let status = refused
        .map(|(_, _, e)| e.parts().0)
        .unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        page(lang, tr(lang, "主数据", "Master data"), Some(p), body),
    )
        .into_response()
}

/// The product form (new, or editing one), filled with `f`.
fn product_form(
    lang: Lang,
    p: &Principal,
    action: &str,
    f: &Fields,
    e: Option<&ApiError>,
) -> maud::Markup {
    html! {
        form method="post" action=(action) data-testid="product-form" {
            input type="hidden" name="csrf" value=(p.csrf());
            h4 { @if action == "/master/product" { (tr(lang, "新增商品", "Add a product")) } @else { (tr(lang, "修改商品", "Edit the product")) } }
            label { (tr(lang, "名称", "Name")) " " input name="name" required maxlength="200" value=(field(f, "name")); (field_error(lang, e, "name")) }
            label { (tr(lang, "品类", "Category")) " " select name="category" { @for c in ProductCategory::ALL { option value=(c.as_str()) selected[field(f, "category") == c.as_str()] { (c.label(lang)) } } } (field_error(lang, e, "category")) }
            label { (tr(lang, "备案号 / 注册证号 / 批准文号", "Filing, registration or approval number")) " " input name="registration" maxlength="100" value=(field(f, "registration")); }
            label { (tr(lang, "已核准或备案的功效（每行一项）", "Approved or filed claims (one per line)")) textarea name="approved_claims" style="min-height:3rem" { (field(f, "approved_claims")) } }
            label { input type="checkbox" name="seven_day_return" value="yes" checked[field(f, "seven_day_return") == "yes"]; " " (tr(lang, "适用七日无理由退货", "7-day no-reason return applies")) }
            label { (tr(lang, "比较价依据（如专柜价的来源）", "Evidence for comparison prices")) " " input name="comparison_evidence" maxlength="200" size="40" value=(field(f, "comparison_evidence")); }
            input type="submit" value=(tr(lang, "保存", "Save"));
        }
    }
}

/// The product body from the form's fields, on top of `base` (the facts the form does not
/// show — disclosures, price history, SC number — are kept).
fn product_body(fields: &Fields, mut base: liveguard_screen::product::Product) -> ProductBody {
    let lines = |name: &str| {
        field(fields, name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let some = |name: &str| Some(field(fields, name).trim().to_string()).filter(|v| !v.is_empty());
    let category = field(fields, "category").to_string();
    let registration = some("registration");
    let cosmetic = category == ProductCategory::Cosmetics.as_str();
    base.cosmetic_filing = if cosmetic { registration.clone() } else { None };
    base.registration = if cosmetic { None } else { registration };
    base.approved_claims = lines("approved_claims");
    base.seven_day_return = Some(field(fields, "seven_day_return") == "yes");
    base.comparison_evidence = some("comparison_evidence");
    ProductBody {
        name: field(fields, "name").trim().to_string(),
        category,
        facts: Some(base),
    }
}

/// `GET /master/product/{id}`: the product's form, filled in, with its history.
async fn product_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ManageProducts) {
        return error_page(lang, Some(&p), e);
    }
    let row = match state.store.product(id).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, Some(&p), e.into()),
    };
    let facts: liveguard_screen::product::Product =
        serde_json::from_str(&row.data).unwrap_or_default();
    let fields: Vec<(String, String)> = vec![
        ("name".into(), row.name.clone()),
        ("category".into(), row.category.clone()),
        (
            "registration".into(),
            facts
                .cosmetic_filing
                .clone()
                .or(facts.registration.clone())
                .unwrap_or_default(),
        ),
        ("approved_claims".into(), facts.approved_claims.join("\n")),
        (
            "seven_day_return".into(),
            if facts.seven_day_return == Some(true) {
                "yes".into()
            } else {
                String::new()
            },
        ),
        (
            "comparison_evidence".into(),
            facts.comparison_evidence.clone().unwrap_or_default(),
        ),
    ];
    edit_view(&state, lang, &p, id, &fields, None).await
}

async fn edit_view(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    id: i64,
    fields: &Fields,
    error: Option<&ApiError>,
) -> Response {
    let loaded = async {
        let names: std::collections::HashMap<String, String> = state
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| (u.username, u.display_name))
            .collect();
        Ok::<_, ApiError>((history_of(state, &format!("product:{id}")).await?, names))
    };
    let (history, names) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let body = html! {
        @if let Some(e) = error { (error_box(&format!("{}{}", tr(lang, "未保存（已填写的内容保留在下方表单中）：", "Not saved (what you typed is kept below): "), crate::ui::error_text(lang, e)))) }
        div.card {
            p.muted { (tr(lang, "已筛查的版本保留原有结果；之后的新版本和新提交按修改后的信息筛查。修改会记入审计日志。", "Versions already screened keep their findings; new versions and submissions use the new facts. The change is logged.")) }
            (product_form(lang, p, &format!("/master/product/{id}"), fields, error))
            p { a href="/master#products" { (tr(lang, "返回主数据", "Back to master data")) } }
        }
        (history_table(lang, &history, &names))
    };
    let status = error
        .map(|e| e.parts().0)
        .unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        page(lang, tr(lang, "修改商品", "Edit product"), Some(p), body),
    )
        .into_response()
}

/// `POST /master/product/{id}`: saves the edited product.
async fn product_save(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let base = match state.store.product(id).await {
        Ok(r) => serde_json::from_str(&r.data).unwrap_or_default(),
        Err(e) => return error_page(lang, Some(&p), e.into()),
    };
    let body = product_body(&fields, base);
    let result = if body.name.is_empty() {
        Err(ApiError::field(
            "name",
            tr(lang, "请填写商品名称", "enter the product's name"),
        ))
    } else {
        crate::features::review::service::change_product(&state, &p, id, &body)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => Redirect::to("/master#products").into_response(),
        Err(ApiError::Forbidden) => error_page(lang, Some(&p), ApiError::Forbidden),
        Err(e) => edit_view(&state, lang, &p, id, &fields, Some(&e)).await,
    }
}

/// A price in yuan as people write it (`99`, `99.9`, `¥99.00`) in fen.
fn fen_of(text: &str) -> Option<i64> {
    let t = text.trim().trim_start_matches(['¥', '￥']).trim();
    let (yuan, jiao) = t.split_once('.').unwrap_or((t, ""));
    if yuan.is_empty()
        || !yuan.bytes().all(|b| b.is_ascii_digit())
        || jiao.len() > 2
        || !jiao.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{jiao:0<2}").parse::<i64>().ok()?;
    yuan.parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// `POST /master/{kind}`: adds a product, room, streamer or plan.
pub(crate) async fn add(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(kind): Path<String>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let result: Result<(), ApiError> = match kind.as_str() {
        "product" => {
            let body = product_body(&fields, Default::default());
            if body.name.is_empty() {
                Err(ApiError::field(
                    "name",
                    tr(lang, "请填写商品名称", "enter the product's name"),
                ))
            } else {
                add_product(&state, &p, &body).await.map(|_| ())
            }
        }
        "room" => service::create_room(&state, &p, room_of(&fields))
            .await
            .map(|_| ()),
        "streamer" => service::create_streamer(&state, &p, streamer_of(&fields))
            .await
            .map(|_| ()),
        "plan" => match plan_of(lang, &fields) {
            Ok(plan) => service::create_plan(&state, &p, plan).await.map(|_| ()),
            Err(e) => Err(e),
        },
        _ => return error_page(lang, Some(&p), ApiError::NotFound),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/master#{kind}s")).into_response(),
        Err(ApiError::Forbidden) => error_page(lang, Some(&p), ApiError::Forbidden),
        Err(e) => view(&state, &p, lang, Some((kind.as_str(), &fields, &e))).await,
    }
}

/// A room from the form's fields.
fn room_of(fields: &Fields) -> LiveRoom {
    LiveRoom {
        platform: field(fields, "platform").into(),
        account: field(fields, "account").into(),
        operator: field(fields, "operator").into(),
    }
}

/// A streamer from the form's fields.
fn streamer_of(fields: &Fields) -> Streamer {
    Streamer {
        name: field(fields, "name").into(),
        agency: Some(field(fields, "agency").to_string()),
    }
}

/// A plan from the form's fields (the start read as Beijing time from the picker, prices
/// as people write them); what it cannot read is refused naming the field.
fn plan_of(lang: Lang, fields: &Fields) -> Result<SessionPlan, ApiError> {
    let room_id = field(fields, "room_id")
        .parse::<i64>()
        .map_err(|_| ApiError::field("room_id", tr(lang, "请选择直播间", "choose a room")))?;
    let starts_at = beijing_input(field(fields, "starts_at")).ok_or_else(|| {
        ApiError::field(
            "starts_at",
            tr(
                lang,
                "请用日期时间选择器填写开播时间",
                "pick the start with the date and time picker",
            ),
        )
    })?;
    let streamer_ids = fields
        .iter()
        .filter(|(n, _)| n == "streamer")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .collect();
    let mut lineup = Vec::new();
    for i in 0..service::LINEUP_MAX {
        let product = field(fields, &format!("product_{i}"));
        if product.is_empty() {
            continue;
        }
        let price = field(fields, &format!("price_{i}"));
        let price_fen = fen_of(price).ok_or_else(|| {
            ApiError::field(
                "lineup",
                format!(
                    "{}{}{price}",
                    i + 1,
                    tr(lang, " 行的直播价无法识别：", ": cannot read the price ")
                ),
            )
        })?;
        lineup.push(LineupItem {
            product_id: product.parse().map_err(|_| {
                ApiError::field(
                    "lineup",
                    tr(
                        lang,
                        "请从列表中选择商品",
                        "choose the product from the list",
                    ),
                )
            })?,
            price_fen,
            promotion: Some(field(fields, &format!("promotion_{i}")).to_string()),
        });
    }
    Ok(SessionPlan {
        title: field(fields, "title").to_string(),
        room_id,
        starts_at,
        streamer_ids,
        lineup,
        has_lottery: field(fields, "has_lottery") == "yes",
    })
}

/// What the plan form offers to choose from.
struct Choices {
    rooms: Vec<(i64, LiveRoom)>,
    streamers: Vec<(i64, Streamer)>,
    products: Vec<(i64, String)>,
}

impl Choices {
    async fn load(state: &AppState) -> Result<Choices, ApiError> {
        Ok(Choices {
            rooms: records::<LiveRoom>(state, MasterKind::Room).await?,
            streamers: records::<Streamer>(state, MasterKind::Streamer).await?,
            products: state
                .store
                .products()
                .await?
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect(),
        })
    }
}

/// The heading of a form: "新增…" at the list, "修改…" on a record's own page.
fn form_heading(lang: Lang, action: &str, kind: MasterKind) -> String {
    let adding = !action
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .ends_with('/');
    format!(
        "{}{}",
        if adding {
            tr(lang, "新增", "Add a ")
        } else {
            tr(lang, "修改", "Edit the ")
        },
        kind.label(lang)
    )
}

/// The room form (new, or editing one), filled with `f`.
fn room_form(
    lang: Lang,
    p: &Principal,
    action: &str,
    f: &Fields,
    e: Option<&ApiError>,
) -> maud::Markup {
    html! {
        form method="post" action=(action) data-testid=(if action == "/master/room" { "new-room" } else { "room-form" }) {
            input type="hidden" name="csrf" value=(p.csrf());
            input type="hidden" name="read" value=(field(f, "read"));
            h4 { (form_heading(lang, action, MasterKind::Room)) }
            label { (tr(lang, "平台", "Platform")) " " input name="platform" required maxlength="50" placeholder="抖音" value=(field(f, "platform")); (field_error(lang, e, "platform")) }
            label { (tr(lang, "账号", "Account")) " " input name="account" required maxlength="100" value=(field(f, "account")); (field_error(lang, e, "account")) }
            label { (tr(lang, "运营主体（公司）", "Operator (company)")) " " input name="operator" required maxlength="100" value=(field(f, "operator")); (field_error(lang, e, "operator")) }
            input type="submit" value=(tr(lang, "保存直播间", "Save room"));
        }
    }
}

/// The streamer form (new, or editing one), filled with `f`.
fn streamer_form(
    lang: Lang,
    p: &Principal,
    action: &str,
    f: &Fields,
    e: Option<&ApiError>,
) -> maud::Markup {
    html! {
        form method="post" action=(action) data-testid=(if action == "/master/streamer" { "new-streamer" } else { "streamer-form" }) {
            input type="hidden" name="csrf" value=(p.csrf());
            input type="hidden" name="read" value=(field(f, "read"));
            h4 { (form_heading(lang, action, MasterKind::Streamer)) }
            label { (tr(lang, "姓名或艺名", "Name")) " " input name="name" required maxlength="50" value=(field(f, "name")); (field_error(lang, e, "name")) }
            label { (tr(lang, "所属机构（MCN，可空）", "Agency (MCN, optional)")) " " input name="agency" maxlength="100" value=(field(f, "agency")); (field_error(lang, e, "agency")) }
            input type="submit" value=(tr(lang, "保存主播", "Save streamer"));
        }
    }
}

/// The plan form (new, or editing one), filled with `f`; it has room for every product
/// already listed and a few more.
fn plan_form(
    lang: Lang,
    p: &Principal,
    action: &str,
    f: &Fields,
    e: Option<&ApiError>,
    c: &Choices,
) -> maud::Markup {
    let listed = (0..service::LINEUP_MAX)
        .filter(|i| !field(f, &format!("product_{i}")).is_empty())
        .max()
        .map_or(0, |i| i + 1);
    let rows = (listed + 2).clamp(LINEUP_ROWS, service::LINEUP_MAX);
    html! {
        form method="post" action=(action) data-testid=(if action == "/master/plan" { "new-plan" } else { "plan-form" }) {
            input type="hidden" name="csrf" value=(p.csrf());
            input type="hidden" name="read" value=(field(f, "read"));
            h4 { (form_heading(lang, action, MasterKind::Plan)) }
            label { (tr(lang, "标题", "Title")) " " input name="title" required maxlength="100" size="30" value=(field(f, "title")); (field_error(lang, e, "title")) }
            label { (tr(lang, "直播间", "Room")) " " select name="room_id" { @for (id, r) in &c.rooms { option value=(id) selected[field(f, "room_id") == id.to_string()] { (r.platform) " · " (r.account) } } } (field_error(lang, e, "room_id")) }
            label { (tr(lang, "开播时间（北京时间）", "Starts (Beijing time)")) " " input type="datetime-local" name="starts_at" required value=(beijing_input(field(f, "starts_at")).map(|t| picker_value(&t)).unwrap_or_default()); (field_error(lang, e, "starts_at")) }
            fieldset { legend { (tr(lang, "主播", "Streamers")) }
                @for (id, st) in &c.streamers { label.inline { input type="checkbox" name="streamer" value=(id) checked[f.iter().any(|(n, v)| n == "streamer" && *v == id.to_string())]; " " (st.name) } " " }
                (field_error(lang, e, "streamer_ids")) }
            fieldset { legend { (tr(lang, "商品清单与直播价（元）", "Lineup and live prices (yuan)")) }
                @for i in 0..rows {
                    p {
                        select name=(format!("product_{i}")) { option value="" { "—" } @for (pid, name) in &c.products { option value=(pid) selected[field(f, &format!("product_{i}")) == pid.to_string()] { (name) } } }
                        " ¥ " input name=(format!("price_{i}")) size="8" inputmode="decimal" value=(field(f, &format!("price_{i}")));
                        " " input name=(format!("promotion_{i}")) size="24" placeholder=(tr(lang, "优惠（可空）", "promotion (optional)")) value=(field(f, &format!("promotion_{i}")));
                    }
                }
                (field_error(lang, e, "lineup")) }
            label { input type="checkbox" name="has_lottery" value="yes" checked[field(f, "has_lottery") == "yes"]; " " (tr(lang, "本场有抽奖", "the session has a lottery")) }
            input type="submit" value=(tr(lang, "保存排期", "Save plan"));
        }
    }
}

/// A price in fen as the form shows it (`99.00`).
fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The form fields that show stored record `row` (with the digest of what was read).
fn fields_of(row: &liveguard_store::MasterRow) -> Result<Vec<(String, String)>, ApiError> {
    let bad = |e: serde_json::Error| ApiError::Internal(format!("{} {}: {e}", row.kind, row.id));
    let mut f: Vec<(String, String)> = vec![(
        "read".into(),
        liveguard_audit::digest_hex(row.data.as_bytes()),
    )];
    match row.kind {
        MasterKind::Room => {
            let r: LiveRoom = serde_json::from_str(&row.data).map_err(bad)?;
            f.push(("platform".into(), r.platform));
            f.push(("account".into(), r.account));
            f.push(("operator".into(), r.operator));
        }
        MasterKind::Streamer => {
            let st: Streamer = serde_json::from_str(&row.data).map_err(bad)?;
            f.push(("name".into(), st.name));
            f.push(("agency".into(), st.agency.unwrap_or_default()));
        }
        MasterKind::Plan => {
            let pl: SessionPlan = serde_json::from_str(&row.data).map_err(bad)?;
            f.push(("title".into(), pl.title));
            f.push(("room_id".into(), pl.room_id.to_string()));
            f.push(("starts_at".into(), picker_value(&pl.starts_at)));
            for id in pl.streamer_ids {
                f.push(("streamer".into(), id.to_string()));
            }
            for (i, item) in pl.lineup.into_iter().enumerate() {
                f.push((format!("product_{i}"), item.product_id.to_string()));
                f.push((format!("price_{i}"), yuan(item.price_fen)));
                f.push((format!("promotion_{i}"), item.promotion.unwrap_or_default()));
            }
            if pl.has_lottery {
                f.push(("has_lottery".into(), "yes".into()));
            }
        }
    }
    Ok(f)
}

/// The changes to `object` (`room:3`), newest first, as the audit log has them.
async fn history_of(
    state: &AppState,
    object: &str,
) -> Result<Vec<liveguard_audit::Entry>, ApiError> {
    let mut entries = state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            object_prefix: Some(object.to_string()),
            limit: 200,
            ..Default::default()
        })
        .await?;
    entries.retain(|e| e.object == object);
    Ok(entries)
}

/// The history table of a record: when, who (display name and role), what.
fn history_table(
    lang: Lang,
    entries: &[liveguard_audit::Entry],
    names: &std::collections::HashMap<String, String>,
) -> maud::Markup {
    html! {
        div.card data-testid="change-history" {
            h3 { (tr(lang, "修改记录", "History of changes")) }
            @if entries.is_empty() { p.muted { (tr(lang, "暂无记录。", "Nothing yet.")) } }
            table {
                @for e in entries {
                    @let login = e.actor.split('@').next().unwrap_or(&e.actor);
                    tr {
                        td { (liveguard_store::Stamp::parse(&e.time).map(|t| when(lang, t)).unwrap_or_else(|_| "—".into())) }
                        td { (names.get(login).map(String::as_str).unwrap_or(login)) }
                        td { (e.role.parse::<liveguard_core::Role>().map(|r| r.label(lang)).unwrap_or("—")) }
                        td { (crate::ui::labels::audit_action(lang, &e.action).unwrap_or("—")) }
                        td { @match e.reason.as_deref().and_then(|r| serde_json::from_str::<service::ChangeReason>(r).ok()) {
                            Some(c) => (crate::features::platform::pages::change_sentence(lang, &c.changed)),
                            None => "",
                        } }
                    }
                }
            }
        }
    }
}

/// `GET /master/{kind}/{id}`: a room's, streamer's or plan's form, filled in, with its
/// history of changes.
pub(crate) async fn record_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((kind, id)): Path<(String, i64)>,
    PageLang(lang): PageLang,
) -> Response {
    if kind == "product" {
        return product_page(State(state), UiPrincipal(p), Path(id), PageLang(lang)).await;
    }
    if let Err(e) = p.require(Permission::ManageProducts) {
        return error_page(lang, Some(&p), e);
    }
    let Ok(kind) = kind.parse::<MasterKind>() else {
        return error_page(lang, Some(&p), ApiError::NotFound);
    };
    let fields = match state.store.master(kind, id).await {
        Ok(row) => fields_of(&row),
        Err(e) => Err(e.into()),
    };
    match fields {
        Ok(fields) => record_view(&state, &p, lang, kind, id, &fields, None).await,
        Err(e) => error_page(lang, Some(&p), e),
    }
}

async fn record_view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    kind: MasterKind,
    id: i64,
    fields: &Fields,
    error: Option<&ApiError>,
) -> Response {
    let loaded = async {
        let names: std::collections::HashMap<String, String> = state
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| (u.username, u.display_name))
            .collect();
        Ok::<_, ApiError>((
            Choices::load(state).await?,
            history_of(state, &format!("{kind}:{id}")).await?,
            names,
        ))
    };
    let (choices, history, names) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let action = format!("/master/{kind}/{id}");
    let body = html! {
        @if let Some(e) = error { (error_box(&format!("{}{}", tr(lang, "未保存（已填写的内容保留在下方表单中）：", "Not saved (what you typed is kept below): "), crate::ui::error_text(lang, e)))) }
        div.card {
            @if kind == MasterKind::Plan {
                p.muted { (tr(lang, "已定稿的审核内容不会改变；之后的筛查、直播中的价格核对和抽奖都按修改后的排期进行。修改会记入审计日志。", "Approved submissions stay as they are; later screening, live price checks and lotteries use the changed plan. The change is logged.")) }
            } @else {
                p.muted { (tr(lang, "修改会记入审计日志，并在下方修改记录中列出。", "The change is logged and listed in the history below.")) }
            }
            @match kind {
                MasterKind::Room => (room_form(lang, p, &action, fields, error)),
                MasterKind::Streamer => (streamer_form(lang, p, &action, fields, error)),
                MasterKind::Plan => (plan_form(lang, p, &action, fields, error, &choices)),
            }
            p { a href=(format!("/master#{kind}s")) { (tr(lang, "返回主数据", "Back to master data")) } }
        }
        (history_table(lang, &history, &names))
    };
    let status = error
        .map(|e| e.parts().0)
        .unwrap_or(axum::http::StatusCode::OK);
    let title = format!("{}{}", tr(lang, "修改", "Edit "), kind.label(lang));
    (status, page(lang, &title, Some(p), body)).into_response()
}

/// `POST /master/{kind}/{id}`: saves the edited room, streamer or plan; a refusal brings
/// the form back as typed with the reason beside its field.
pub(crate) async fn record_save(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((kind, id)): Path<(String, i64)>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    if kind == "product" {
        return product_save(
            State(state),
            UiPrincipal(p),
            Path(id),
            PageLang(lang),
            CsrfForm(fields),
        )
        .await;
    }
    let Ok(kind) = kind.parse::<MasterKind>() else {
        return error_page(lang, Some(&p), ApiError::NotFound);
    };
    let change = match kind {
        MasterKind::Room => Ok(service::Change::Room(room_of(&fields))),
        MasterKind::Streamer => Ok(service::Change::Streamer(streamer_of(&fields))),
        MasterKind::Plan => plan_of(lang, &fields).map(service::Change::Plan),
    };
    let read = Some(field(&fields, "read")).filter(|r| !r.is_empty());
    let result = match change {
        Ok(c) => service::change(&state, &p, id, c, read).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/master#{kind}s")).into_response(),
        Err(e @ (ApiError::Forbidden | ApiError::NotFound)) => error_page(lang, Some(&p), e),
        Err(e) => record_view(&state, &p, lang, kind, id, &fields, Some(&e)).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prices_are_read_as_people_write_them() {
        assert_eq!(super::fen_of("99"), Some(9_900));
        assert_eq!(super::fen_of("¥99.9"), Some(9_990));
        assert_eq!(super::fen_of(" 0.05 "), Some(5));
        assert_eq!(super::fen_of("九十九"), None);
        assert_eq!(super::fen_of("9.999"), None);
        assert_eq!(super::fen_of(""), None);
    }
}

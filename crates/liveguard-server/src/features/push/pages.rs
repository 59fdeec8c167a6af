//! The administrator's push page (消息推送): the group robots and webhooks set up here,
//! added, tested, turned off and deleted on the page, with how their deliveries went; the
//! configuration file's webhooks below, read-only.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::service::{self, TargetInput, TargetPatch, TargetView};
use crate::AppState;
use crate::http::auth::{Principal, UiPrincipal};
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::http::perms::Permission;
use crate::jobs::webhook::{ALERT_EVENT, Outcome, WebhookError, WebhookFormat, shown_url};
use crate::ui::labels::audit_action;
use crate::ui::{Lang, error_box, error_page, field_error, form_field, page, tr, when};

type Fields = [(String, String)];

fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    form_field(f, name).unwrap_or("")
}

/// The format's name for people.
pub(crate) fn format_label(lang: Lang, f: WebhookFormat) -> &'static str {
    match f {
        WebhookFormat::Liveguard => tr(
            lang,
            "通用 Webhook（签名 JSON）",
            "generic webhook (signed JSON)",
        ),
        WebhookFormat::Wecom => tr(lang, "企业微信群机器人", "WeCom group robot"),
        WebhookFormat::Dingtalk => tr(lang, "钉钉自定义机器人", "DingTalk robot"),
        WebhookFormat::Feishu => tr(lang, "飞书自定义机器人", "Feishu robot"),
    }
}

/// An event's name for people.
fn event_label(lang: Lang, code: &str) -> &'static str {
    if code == ALERT_EVENT {
        return tr(lang, "直播告警（新出现）", "live alert raised");
    }
    audit_action(lang, code).unwrap_or(tr(lang, "其他事件", "other event"))
}

fn events_text(lang: Lang, events: &[String]) -> String {
    if events.is_empty() {
        return tr(lang, "全部", "all").to_string();
    }
    events
        .iter()
        .map(|e| event_label(lang, e))
        .collect::<Vec<_>>()
        .join(tr(lang, "、", ", "))
}

/// A delivery failure in words.
pub(crate) fn failure_text(lang: Lang, e: &WebhookError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        WebhookError::Transport(at, why) if why.contains("TLS") => {
            format!("{at}：TLS 握手失败（证书不受信任或域名不符）")
        }
        WebhookError::Transport(at, why) if why.contains("no answer within") => {
            format!("{at}：超时无应答")
        }
        WebhookError::Transport(at, _) => format!("{at}：无法连接（地址或网络不通）"),
        WebhookError::Status(at, code) => format!("{at}：对方返回 HTTP {code}"),
        WebhookError::Refused(at, code) => {
            format!("{at}：机器人拒收，错误码 {code}（常见原因：关键词、签名或 IP 白名单不符）")
        }
        WebhookError::Cursor(_) => "投递进度无法读写（数据库或数据目录）".to_string(),
    }
}

fn outcome_cells(lang: Lang, o: &Outcome) -> Markup {
    html! {
        td { (o.delivered) }
        td { @if let Some(t) = o.last_ok { (when(lang, t)) } @else { "—" } }
        td { @if let Some((t, e)) = &o.last_failure {
            span.error data-testid="webhook-failure" { (when(lang, *t)) (tr(lang, "：", ": ")) (failure_text(lang, e)) }
            @if o.failures > 0 { br; small { (tr(lang, "连续失败 ", "failures in a row: ")) (o.failures) (tr(lang, " 次，自动重试中，消息不会丢失", "; retrying, nothing is lost")) } }
        } @else { "—" } }
    }
}

/// `GET /admin/webhooks`
pub(crate) async fn push_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    view(&state, &p, lang, None, None).await
}

/// The audit reason of a push-target change as a sentence ("企业微信群机器人
/// https://qyapi.weixin.qq.com，推送：全部，启用"); `None` when `reason` is not one.
pub(crate) fn reason_sentence(lang: Lang, reason: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Why {
        format: String,
        address: String,
        events: Option<Vec<String>>,
        enabled: Option<bool>,
    }
    let w: Why = serde_json::from_str(reason).ok()?;
    let mut out = format!(
        "{} {}",
        WebhookFormat::parse(&w.format).map(|f| format_label(lang, f))?,
        w.address
    );
    if let Some(ev) = &w.events {
        out.push_str(&format!(
            "{}{}",
            tr(lang, "，推送：", "; events: "),
            events_text(lang, ev)
        ));
    }
    if let Some(on) = w.enabled {
        out.push_str(if on {
            tr(lang, "，启用", "; on")
        } else {
            tr(lang, "，停用", "; off")
        });
    }
    Some(out)
}

/// The page; `notice` is what the last action did (ok or not), `refused` the add form that
/// was refused, with what was typed.
async fn view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    notice: Option<Result<String, String>>,
    refused: Option<(&Fields, &ApiError)>,
) -> Response {
    let targets: Vec<TargetView> = match service::list(state, p).await {
        Ok(t) => t,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let empty: Vec<(String, String)> = Vec::new();
    let (f, e) = match refused {
        Some((f, e)) => (f, Some(e)),
        None => (&empty[..], None),
    };
    let fresh = refused.is_none();
    let body = html! {
        @match &notice {
            Some(Ok(m)) => p.ok role="status" data-testid="notice" { (m) },
            Some(Err(m)) => (error_box(m)),
            None => {},
        }
        @if let Some(e) = e { (error_box(&format!("{}{}", tr(lang, "未保存（已填写的内容保留在下方表单中）：", "Not saved (what you typed is kept below): "), crate::ui::error_text(lang, e)))) }
        div.card {
            h3 { (tr(lang, "推送目标", "Push targets")) }
            p.muted { (tr(lang, "拦截级告警、超时升级、审核流转等消息会推送到这里设置的企业微信、钉钉、飞书群机器人或 Webhook。新加的目标从此刻开始推送，不补发历史消息；推送失败会自动重试，按顺序补发，不丢消息。地址中的密钥与签名密钥加密保存，页面上只显示域名。", "Block alerts, escalations and review steps are pushed to the WeCom, DingTalk or Feishu group robots and webhooks set up here. A new target starts now (no history is replayed); failures are retried in order and nothing is lost. The key in the address and the signing secret are stored encrypted; pages show only the host.")) }
            @if targets.is_empty() { p data-testid="no-targets" { (tr(lang, "尚未设置推送目标。", "No push targets yet.")) } }
            @else {
                table data-testid="push-targets" {
                    thead { tr { th { (tr(lang, "名称", "Name")) } th { (tr(lang, "类型", "Kind")) } th { (tr(lang, "地址", "Address")) } th { (tr(lang, "推送内容", "Events")) } th { (tr(lang, "状态", "State")) } th { (tr(lang, "已投递", "Delivered")) } th { (tr(lang, "最近成功", "Last success")) } th { (tr(lang, "最近失败", "Last failure")) } th { (tr(lang, "操作", "Actions")) } } }
                    tbody { @for t in &targets {
                        tr data-testid="push-target" {
                            td { (t.name) }
                            td { (WebhookFormat::parse(&t.format).map(|f| format_label(lang, f)).unwrap_or("—")) @if t.signed { br; small.muted { (tr(lang, "已设签名密钥", "signed")) } } }
                            td { code { (t.shown_url) } }
                            td { (events_text(lang, &t.events)) }
                            td { @if t.enabled { (tr(lang, "启用", "on")) } @else { span.muted { (tr(lang, "已停用", "off")) } } }
                            (outcome_cells(lang, &t.outcome))
                            td {
                                form method="post" action=(format!("/admin/webhooks/{}", t.id)) style="display:inline" {
                                    input type="hidden" name="csrf" value=(p.csrf());
                                    button.primary type="submit" name="action" value="test" data-testid="push-test" { (tr(lang, "发送测试消息", "Send a test")) }
                                    " "
                                    @if t.enabled { button type="submit" name="action" value="off" { (tr(lang, "停用", "Turn off")) } }
                                    @else { button type="submit" name="action" value="on" { (tr(lang, "启用", "Turn on")) } }
                                    " "
                                    button.danger type="submit" name="action" value="delete" data-confirm=(format!("{}{}{}", tr(lang, "删除推送目标「", "Delete the push target “"), t.name, tr(lang, "」？删除后不再向它推送，未送达的消息也不再补发。", "”? Nothing more is sent to it, including what is still pending."))) { (tr(lang, "删除", "Delete")) }
                                }
                            }
                        }
                    } }
                }
            }
        }
        div.card {
            form method="post" action="/admin/webhooks" data-testid="new-push-target" autocomplete="off" {
                input type="hidden" name="csrf" value=(p.csrf());
                h4 { (tr(lang, "新增推送目标", "Add a push target")) }
                label { (tr(lang, "名称", "Name")) " " input name="name" required maxlength=(service::NAME_CHARS_MAX) placeholder=(tr(lang, "例如：合规组企业微信群", "e.g. compliance team WeCom group")) value=(field(f, "name")); (field_error(lang, e, "name")) }
                label { (tr(lang, "类型", "Kind")) " " select name="format" { @for fmt in WebhookFormat::ALL { option value=(fmt.as_str()) selected[field(f, "format") == fmt.as_str()] { (format_label(lang, fmt)) } } } (field_error(lang, e, "format")) }
                label { (tr(lang, "Webhook 地址（在群机器人设置中复制）", "Webhook address (copied from the robot's settings)")) br; input name="url" type="url" required maxlength=(service::URL_BYTES_MAX) size="60" placeholder="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…" value=(field(f, "url")); (field_error(lang, e, "url")) }
                label { (tr(lang, "签名密钥（钉钉“加签”、飞书“签名校验”时填写；企业微信留空；通用 Webhook 至少 16 位）", "Signing secret (DingTalk 加签, Feishu 签名校验; empty for WeCom; ≥ 16 characters for a generic webhook)")) br; input name="secret" maxlength=(service::SECRET_BYTES_MAX) size="40" value=(field(f, "secret")); (field_error(lang, e, "secret")) }
                fieldset { legend { (tr(lang, "推送内容（都不勾选 = 全部）", "Events (none ticked = all)")) }
                    @for ev in service::all_events() {
                        label.inline { input type="checkbox" name="event" value=(ev) checked[f.iter().any(|(n, v)| n == "event" && v == ev)]; " " (event_label(lang, ev)) } " "
                    }
                    (field_error(lang, e, "events"))
                }
                label { input type="checkbox" name="enabled" value="yes" checked[fresh || field(f, "enabled") == "yes"]; " " (tr(lang, "立即启用", "turn on now")) }
                input type="submit" value=(tr(lang, "保存推送目标", "Save the push target"));
            }
        }
        @if !state.settings.webhooks.is_empty() {
            div.card {
                h3 { (tr(lang, "配置文件中的推送目标（只读）", "Push targets from the configuration file (read-only)")) }
                p.muted { (tr(lang, "这些目标在配置文件的 [[webhooks]] 中设置，修改后重启生效。", "These are set in the configuration's [[webhooks]] and change on restart.")) }
                table data-testid="webhooks" {
                    thead { tr { th { (tr(lang, "类型", "Kind")) } th { (tr(lang, "地址", "Address")) } th { (tr(lang, "推送内容", "Events")) } th { (tr(lang, "已投递", "Delivered")) } th { (tr(lang, "最近成功", "Last success")) } th { (tr(lang, "最近失败", "Last failure")) } } }
                    tbody { @for hook in &state.settings.webhooks {
                        tr {
                            td { (format_label(lang, hook.format)) }
                            td { code { (shown_url(hook)) } }
                            td { (events_text(lang, &hook.events)) }
                            (outcome_cells(lang, &state.webhook_status.of(hook).unwrap_or_default()))
                        }
                    } }
                }
            }
        }
    };
    let status = e.map(|e| e.parts().0).unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        page(
            lang,
            tr(lang, "消息推送", "Push notifications"),
            Some(p),
            body,
        ),
    )
        .into_response()
}

/// `POST /admin/webhooks`: adds a target; a refusal keeps what was typed.
pub(crate) async fn add(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    if let Err(e) = p.require(Permission::ManageUsers) {
        return error_page(lang, Some(&p), e);
    }
    let input = TargetInput {
        name: field(&fields, "name").to_string(),
        format: field(&fields, "format").to_string(),
        url: field(&fields, "url").to_string(),
        secret: field(&fields, "secret").to_string(),
        events: fields
            .iter()
            .filter(|(n, _)| n == "event")
            .map(|(_, v)| v.clone())
            .collect(),
        enabled: field(&fields, "enabled") == "yes",
    };
    match service::create(&state, &p, &input).await {
        Ok(t) => {
            let said = format!(
                "{}{}{}",
                tr(lang, "已保存推送目标「", "Saved the push target “"),
                t.name,
                tr(
                    lang,
                    "」。可以点“发送测试消息”确认群里能收到。",
                    "”. Send a test to check the group receives it."
                )
            );
            view(&state, &p, lang, Some(Ok(said)), None).await
        }
        Err(e) => view(&state, &p, lang, None, Some((&fields, &e))).await,
    }
}

/// `POST /admin/webhooks/{id}`: `action` = `test`, `on`, `off` or `delete`.
pub(crate) async fn act(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    if let Err(e) = p.require(Permission::ManageUsers) {
        return error_page(lang, Some(&p), e);
    }
    let notice = match field(&fields, "action") {
        "test" => match service::test(&state, &p, id).await {
            Ok(Ok(())) => Ok(tr(
                lang,
                "测试消息已送达，对方已接收。",
                "The test message was delivered.",
            )
            .to_string()),
            Ok(Err(e)) => Err(format!(
                "{}{}",
                tr(
                    lang,
                    "测试消息未送达：",
                    "The test message was not delivered: "
                ),
                failure_text(lang, &e)
            )),
            Err(e) => return error_page(lang, Some(&p), e),
        },
        a @ ("on" | "off") => {
            let patch = TargetPatch {
                enabled: Some(a == "on"),
                ..Default::default()
            };
            match service::change(&state, &p, id, &patch).await {
                Ok(t) if t.enabled => Ok(format!(
                    "{}{}{}",
                    tr(lang, "已启用「", "Turned on “"),
                    t.name,
                    tr(lang, "」。", "”.")
                )),
                Ok(t) => Ok(format!(
                    "{}{}{}",
                    tr(lang, "已停用「", "Turned off “"),
                    t.name,
                    tr(lang, "」，不再向它推送。", "”; nothing more is sent to it.")
                )),
                Err(e) => return error_page(lang, Some(&p), e),
            }
        }
        "delete" => match service::delete(&state, &p, id).await {
            Ok(()) => Ok(tr(lang, "已删除推送目标。", "Deleted the push target.").to_string()),
            Err(e) => return error_page(lang, Some(&p), e),
        },
        _ => {
            return error_page(
                lang,
                Some(&p),
                ApiError::field("action", "test, on, off or delete"),
            );
        }
    };
    view(&state, &p, lang, Some(notice), None).await
}

//! The status page (系统状态).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::service;
use crate::AppState;
use crate::http::auth::UiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::PageLang;
use crate::http::perms::Permission;
use crate::ui::{Lang, error_page, page, tr};

fn yes_no(lang: Lang, found: bool) -> &'static str {
    if found {
        tr(lang, "已安装", "installed")
    } else {
        tr(lang, "未找到", "not found")
    }
}

/// A pack title in the page's language: the default packs' titles are "中文 English (…)".
fn pack_title(lang: Lang, title: &str) -> &str {
    let english_from = title
        .char_indices()
        .find(|(i, c)| c.is_ascii_alphabetic() && title[..*i].ends_with(' '))
        .map(|(i, _)| i);
    match (lang, english_from) {
        (Lang::Zh, Some(0)) | (_, None) => title,
        (Lang::Zh, Some(i)) => title[..i].trim_end(),
        (Lang::En, Some(i)) => &title[i..],
    }
}

/// `GET /system`
pub(crate) async fn status_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    if !p.can(Permission::ViewDashboard) {
        return error_page(lang, Some(&p), ApiError::Forbidden);
    }
    let s = service::status(&state);
    let body = html! {
        div.card data-testid="screening-status" {
            h3 { (tr(lang, "筛查引擎", "Screening engine")) }
            @if s.rules_only() {
                p.error data-testid="rules-only" {
                    (tr(lang, "仅规则运行：未加载学习模型。", "Rules only: no learned models are loaded."))
                    @if !s.models.enabled { " " (tr(lang, "（配置项 models = false）", "(setting models = false)")) }
                    " " (tr(lang, "换说法的功效宣称与不含脏字的辱骂评论只能靠规则发现，漏报会增多。", "Paraphrased claims and abusive comments without swear words are found by rules alone, so more will be missed."))
                }
            } @else {
                p.ok data-testid="models-on" { (tr(lang, "规则 + 学习模型（模型结果只作“需复核”的第二意见，由人工确认）。", "Rules plus learned models (model findings are second opinions at review level, confirmed by a person).")) }
            }
            table {
                tbody {
                    tr { th { (tr(lang, "规则总数", "Rules")) } td { (s.rules) } }
                    tr { th { (tr(lang, "评论辱骂分类模型", "Comment classifier")) } td data-testid="comment-model" { @if let Some(v) = &s.models.comment { code { (v) } } @else { span.muted { (tr(lang, "未加载", "not loaded")) } } } }
                    tr { th { (tr(lang, "功效宣称模型", "Claim model")) } td data-testid="claim-model" { @if let Some(v) = &s.models.claim { code { (v) } } @else { span.muted { (tr(lang, "未加载", "not loaded")) } } } }
                    tr {
                        th { (tr(lang, "功效宣称模型·语义第二阶段（句向量）", "Claim model, semantic second stage (sentence encoder)")) }
                        td data-testid="claim-encoder" {
                            @if let Some(v) = &s.models.claim_encoder { code { (v) } }
                            @else {
                                span.muted { (tr(lang, "未加载：仅用第一阶段（字词模型），换说法的宣称漏报会增多", "not loaded: first stage only, more paraphrased claims will be missed")) }
                                @if let Some(why) = &s.models.claim_encoder_missing { br; small.muted { (why) } }
                            }
                        }
                    }
                }
            }
            h4 { (tr(lang, "规则包", "Rule packs")) }
            table data-testid="packs" {
                thead { tr { th { (tr(lang, "规则包", "Pack")) } th { (tr(lang, "名称", "Title")) } th { (tr(lang, "版本", "Version")) } th { (tr(lang, "规则数", "Rules")) } } }
                tbody { @for pk in &s.packs { tr { td { code { (pk.id) } } td { (pack_title(lang, &pk.title)) } td { (pk.version) } td { (pk.rules) } } } }
            }
        }
        div.card {
            h3 { (tr(lang, "运行环境", "Runtime")) }
            table {
                tbody {
                    tr { th { (tr(lang, "liveguard 版本", "liveguard version")) } td { (s.version) } }
                    tr { th { (tr(lang, "数据库", "Database")) } td { (if s.database == "sqlite" { tr(lang, "内嵌 SQLite", "embedded SQLite") } else { "PostgreSQL" }) } }
                    tr { th { (tr(lang, "直播事件总线", "Live event bus")) } td { (if s.live_bus == "nats" { "NATS JetStream" } else { tr(lang, "进程内队列", "in-process queue") }) } }
                    tr { th { (tr(lang, "图片文字识别（OCR）", "Image text (OCR)")) } td data-testid="image-reader" {
                        @if s.images.pp_ocr {
                            "PP-OCR " code { (s.images.reader) } " " (tr(lang, "（本机运行，无需联网）", "(in-process, offline)"))
                        } @else {
                            (tr(lang, "Tesseract（备用）", "Tesseract (fallback)")) " " code { (s.ocr.engine) } " " (yes_no(lang, s.ocr.found))
                            br;
                            span.muted { (tr(lang, "未使用 PP-OCR（识别更准）：", "PP-OCR (more accurate) not in use: ")) (s.images.pp_ocr_missing.as_deref().unwrap_or("")) }
                            @if !s.ocr.found { br; span.error { (tr(lang, "宣传图无法读取文字：请运行 scripts/fetch-ocr-models.sh，或安装 tesseract-ocr 与 tesseract-ocr-chi-sim", "promo images cannot be read: run scripts/fetch-ocr-models.sh, or install tesseract-ocr and tesseract-ocr-chi-sim")) } }
                        }
                    } }
                    tr { th { (tr(lang, "二维码与条形码", "QR codes and barcodes")) } td { (tr(lang, "识别（指向个人微信、QQ、收款页或站外店铺的码按站外导流处理）", "decoded (codes leading to a personal WeChat, QQ, payment page or outside shop are off-platform findings)")) } }
                    tr { th { (tr(lang, "PDF 打印", "PDF printing")) } td { code { (s.pdf.engine) } " " (yes_no(lang, s.pdf.found)) } }
                    tr { th { (tr(lang, "工作日日历（投诉时限）", "Working-day calendar (desk clocks)")) } td data-testid="calendar" {
                        (s.calendar.years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join("、")) " · " (s.calendar.source)
                        @if let Some(y) = s.calendar.missing_year {
                            br; span.error data-testid="calendar-missing" { (tr(lang, "缺少 ", "missing ")) (y) (tr(lang, " 年的节假日安排：该年按工作日计算的时限只扣除周末。请在国务院办公厅公布后，在配置中指定补充了该年的日历文件。", ": working-day clocks in that year skip weekends only. Add the year to the calendar file (complaints.calendar_file) once the State Council publishes it.")) }
                        }
                    } }
                }
            }
        }
    };
    page(lang, tr(lang, "系统状态", "System status"), Some(&p), body).into_response()
}

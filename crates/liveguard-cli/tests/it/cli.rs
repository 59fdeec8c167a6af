//! Runs the real `liveguard` binary in an isolated directory (ripgrep's tests/util.rs style).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Dir {
    root: PathBuf,
}

impl Dir {
    fn new(name: &str) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "liveguard-cli-{}-{}-{}",
            std::process::id(),
            name,
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Dir { root }
    }
    fn create(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.root.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }
    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_liveguard"));
        c.current_dir(&self.root);
        c
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out: Output = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_stdin(cmd: &mut Command, input: &str) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The binary may exit before reading everything (an error at start-up): a broken pipe
    // on our side is expected then, and the exit code is what the test checks.
    if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn scan_file_with_violations_prints_compiler_style_and_exits_1() {
    let d = Dir::new("violations");
    d.create(
        "script.txt",
        "欢迎来到直播间\n这款面霜是全网最好的，能治疗湿疹\n",
    );
    let (code, out, _) = run(d
        .cmd()
        .args(["scan", "script.txt", "--category", "cosmetics"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("script.txt:2:6: review[absolute/zui]"),
        "{out}"
    );
    assert!(out.contains("法条 law: 《广告法》第9条第3项 [P]"), "{out}");
    assert!(out.contains("block[claims/medical/treatment]"), "{out}");
    assert!(out.contains("^^^^"), "{out}");
}

#[test]
fn clean_file_exits_0_and_fail_on_block_ignores_review() {
    let d = Dir::new("clean");
    d.create("ok.txt", "这款面霜很滋润，适合干性肌肤\n");
    d.create("review.txt", "这款面霜是全网最好的\n");
    assert_eq!(run(d.cmd().args(["scan", "ok.txt"])).0, 0);
    assert_eq!(run(d.cmd().args(["scan", "review.txt"])).0, 1);
    assert_eq!(
        run(d.cmd().args(["scan", "review.txt", "--fail-on", "block"])).0,
        0
    );
}

#[test]
fn missing_file_is_an_error_exit_2() {
    let d = Dir::new("missing");
    let (code, _, err) = run(d.cmd().args(["scan", "nope.txt"]));
    assert_eq!(code, 2);
    assert!(err.contains("cannot open nope.txt"), "{err}");
}

#[test]
fn unknown_category_is_exit_2() {
    let d = Dir::new("unknowncat");
    let (code, _, err) = run(d.cmd().args(["scan", "--category", "cosmetic", "-"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown product category `cosmetic`"), "{err}");
}

#[test]
fn jsonl_records_keep_ids_one_line_each() {
    let d = Dir::new("jsonl");
    let input = concat!(
        r#"{"id":"a","text":"加薇信领券","channel":"comment"}"#,
        "\n",
        r#"{"id":2,"text":"主播辛苦了","channel":"comment"}"#,
        "\n",
        r#"{"id":{"k":1},"text":"本品可以根治糖尿病","channel":"script","category":"health_food"}"#,
        "\n",
    );
    let (code, out, _) = run_stdin(
        d.cmd()
            .args(["scan", "--input", "jsonl", "--format", "jsonl"]),
        input,
    );
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["decision"], "block");
    let f = &lines[0]["findings"][0];
    for key in [
        "rule",
        "category",
        "severity",
        "citations",
        "span",
        "matched",
    ] {
        assert!(!f[key].is_null(), "finding lacks {key}: {f}");
    }
    assert_eq!(f["span"]["char_start"], 0);
    assert_eq!(lines[1]["id"], 2);
    assert_eq!(lines[1]["decision"], "pass");
    assert_eq!(lines[2]["id"]["k"], 1);
    assert_eq!(lines[2]["decision"], "block");
}

#[test]
fn gbk_file_is_decoded() {
    let d = Dir::new("gbk");
    let mut bytes = Vec::new();
    // "全网最低价，加微信" in GBK.
    for b in [
        0xC8u8, 0xAB, 0xCD, 0xF8, 0xD7, 0xEE, 0xB5, 0xCD, 0xBC, 0xDB, 0xA3, 0xAC, 0xBC, 0xD3, 0xCE,
        0xA2, 0xD0, 0xC5, 0x0A,
    ] {
        bytes.push(b);
    }
    d.create("gbk.txt", bytes);
    let (code, out, _) = run(d.cmd().args(["scan", "gbk.txt", "--format", "jsonl"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("全网最低价"), "{out}");
    assert!(out.contains("off_platform"), "{out}");
}

#[test]
fn lexicon_and_allowlist_files() {
    let d = Dir::new("lexicon");
    d.create(
        "lex.txt",
        "# 公司词库\n神仙水\n秒杀全场\tabsolute_terms\tblock\n",
    );
    d.create("allow.txt", "神仙水乳液\n");
    d.create("t.txt", "这瓶神仙水\n这瓶神仙水乳液\n秒 杀 全 场\n");
    let (code, out, _) = run(d.cmd().args([
        "scan",
        "t.txt",
        "--lexicon",
        "lex.txt",
        "--allow",
        "allow.txt",
        "--format",
        "jsonl",
    ]));
    assert_eq!(code, 1);
    assert!(
        out.contains(r#""line":1"#) && out.contains("custom/custom-review"),
        "{out}"
    );
    assert!(
        !out.contains(r#""line":2"#),
        "allowlisted line reported: {out}"
    );
    assert!(out.contains("custom/absolute-terms-block"), "{out}");
    let (code, _, err) = run(d.cmd().args(["scan", "t.txt", "--lexicon", "missing.txt"]));
    assert_eq!(code, 2);
    assert!(err.contains("missing.txt"), "{err}");
}

#[test]
fn mask_prints_masked_text() {
    let d = Dir::new("mask");
    let (_, out, _) = run_stdin(
        d.cmd().args(["scan", "--mask", "--channel", "comment"]),
        "我电话13812345678，身份证11010519491231002X\n",
    );
    assert_eq!(out.trim(), "我电话138****5678，身份证110105********002X");
}

#[test]
fn malformed_pack_is_rejected_with_file_and_line() {
    let d = Dir::new("badpack");
    d.create(
        "packs/bad.toml",
        "[pack]\nid = \"bad\"\nversion = \"1\"\n\n[[rule]]\nid = \"x\"\ncategory = \"absolute\"\n",
    );
    let (code, _, err) = run_stdin(d.cmd().args(["scan", "--rules", "packs"]), "最好\n");
    assert_eq!(code, 2);
    assert!(err.contains("packs/bad.toml:7"), "{err}");
    let (code, out, _) = run(d.cmd().args(["rules", "check", "packs"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("bad.toml:7") && out.contains("unknown finding category `absolute`"),
        "{out}"
    );
}

#[test]
fn rules_test_reports_failing_example() {
    let d = Dir::new("rulestest");
    d.create(
        "packs/p.toml",
        r#"[pack]
id = "p"
version = "1"
[[rule]]
id = "r"
category = "abuse"
severity = "review"
patterns = ["坏词"]
suggestion = "x"
citations = [{ law = "广告法", article = "9", tag = "P" }]
examples = { hit = ["好词"], miss = ["坏词"] }
"#,
    );
    let (code, out, _) = run(d.cmd().args(["rules", "test", "packs"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("p.toml:5: rule p/r: example `好词` should hit"),
        "{out}"
    );
    assert!(out.contains("example `坏词` should not hit"), "{out}");
}

#[test]
fn default_rules_pass_rules_test_and_list_shows_citations() {
    let d = Dir::new("defaults");
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (code, out, _) = run(d.cmd().args(["rules", "test"]).arg(&rules));
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(d.cmd().args(["rules", "list"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("absolute/zui\tabsolute_terms\treview\t《广告法》第9条第3项 [P]"),
        "{out}"
    );
    let (code, out, _) = run(d.cmd().args(["rules", "show", "offplatform/contact"]));
    assert_eq!(code, 0);
    assert!(out.contains("加微信"), "{out}");
    assert_eq!(run(d.cmd().args(["rules", "show", "no/such"])).0, 2);
}

#[test]
fn sarif_and_json_are_valid_documents() {
    let d = Dir::new("sarif");
    d.create("s.txt", "全网最低价\n");
    let (code, out, _) = run(d.cmd().args(["scan", "s.txt", "--format", "sarif"]));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let r = &v["runs"][0]["results"][0];
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert!(
        !v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (_, out, _) = run(d.cmd().args(["scan", "s.txt", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "review");
    assert_eq!(v["files"][0]["results"][0]["line"], 1);
}

#[test]
fn overlong_line_is_refused_with_message_and_rest_is_scanned() {
    let d = Dir::new("overlong");
    let mut content = "好".repeat(3 * 1024 * 1024); // 9 MiB > 8 MiB line limit
    content.push_str("\n全网最低价\n");
    d.create("big.txt", content);
    let (code, out, err) = run(d.cmd().args(["scan", "big.txt", "--format", "jsonl"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("big.txt:1: line of") && err.contains("line_bytes_max"),
        "{err}"
    );
    assert!(out.contains(r#""line":2"#), "{out}");
}

#[test]
fn eval_reports_per_category_scores() {
    let d = Dir::new("eval");
    d.create(
        "dev.jsonl",
        concat!(
            r#"{"id":1,"text":"能治疗湿疹","category":"cosmetics","labels":["medical_claim"]}"#,
            "\n",
            r#"{"id":2,"text":"很滋润","category":"cosmetics","labels":[]}"#,
            "\n",
            r#"{"id":3,"text":"全网最低价","labels":["price_fraud"]}"#,
            "\n",
        ),
    );
    let (code, out, _) = run(d.cmd().args(["eval", "dev.jsonl", "--json"]));
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["categories"]["medical_claim"]["recall"], 1.0);
    assert_eq!(v["benign_flagged"], 0);
    assert_eq!(v["texts"], 3);
}

#[test]
fn closed_pipe_exits_0() {
    use std::io::Read;
    let d = Dir::new("pipe");
    d.create("many.txt", "这是全网最低价，加微信领券\n".repeat(20_000));
    let mut child = d
        .cmd()
        .args(["scan", "many.txt"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 4096];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout); // like `| head`
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a closed pipe is not an error");
}

#[test]
fn lottery_simulate_writes_a_bundle_that_verifies_and_tampering_fails() {
    let d = Dir::new("lottery");
    for randomness in ["drand", "commit-reveal"] {
        let (code, out, err) = run(d.cmd().args([
            "lottery",
            "simulate",
            "--entrants",
            "2000",
            "--winners",
            "10",
            "--randomness",
            randomness,
            "--out",
            "bundle.json",
        ]));
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(
            (
                v["entrants"].as_u64(),
                v["removed"].as_u64(),
                v["winners"].as_u64()
            ),
            (Some(1998), Some(2), Some(10))
        );
        assert!(
            v["tree_build_ms"].is_u64() && v["proof_from_tree_us"].is_u64(),
            "the inclusion-proof costs are reported (each proof checked): {v}"
        );
        let (code, out, _) = run(d.cmd().args(["lottery", "verify", "bundle.json"]));
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("VALID"), "{out}");
        // One changed winner code → exit 1, naming the winners.
        let text = std::fs::read_to_string(d.root.join("bundle.json")).unwrap();
        let mut b: serde_json::Value = serde_json::from_str(&text).unwrap();
        let other = b["entrants"]["codes"][0].clone();
        b["winners"][3]["code"] = other;
        d.create("tampered.json", b.to_string());
        let (code, out, _) = run(d.cmd().args(["lottery", "verify", "tampered.json"]));
        assert_eq!(code, 1, "{out}");
        assert!(out.starts_with("INVALID: winners"), "{out}");
    }
    d.create("junk.json", "{}");
    let (code, _, err) = run(d.cmd().args(["lottery", "verify", "junk.json"]));
    assert_eq!(code, 2);
    assert!(err.contains("not a lottery bundle"), "{err}");
    let (code, _, err) = run(d.cmd().args([
        "lottery",
        "simulate",
        "--out",
        "x.json",
        "--randomness",
        "dice",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("drand or commit-reveal"), "{err}");
}

/// Issue 14 "done when": a paraphrased claim and an offensive comment print model findings
/// with score, exemplar and citation; with `--no-models` the same scan runs on rules only
/// and says so.
#[test]
fn scan_prints_model_findings_and_runs_rules_only_without_models() {
    let d = Dir::new("models");
    d.create(
        "claims.jsonl",
        concat!(
            r#"{"id":"a","text":"姐妹们看好了。用完第二天痘印自己就退了！","channel":"transcript","category":"cosmetics"}"#,
            "\n",
            r#"{"id":"b","text":"你这种人也配开直播，回家种地去吧","channel":"comment"}"#,
            "\n"
        ),
    );
    let (code, out, err) = run(d.cmd().args(["scan", "claims.jsonl", "--input", "jsonl"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("model/efficacy-claim"), "{out}");
    assert!(out.contains("相似 similar to: "), "{out}");
    assert!(out.contains("模型 model: claim-"), "{out}");
    assert!(out.contains("models: comments comment-"), "{out}");
    assert!(
        out.contains("first stage only: no sentence encoder"),
        "{out}"
    );
    let (_, rules_only, _) =
        run(d
            .cmd()
            .args(["scan", "claims.jsonl", "--input", "jsonl", "--no-models"]));
    assert!(!rules_only.contains("model/"), "{rules_only}");
    assert!(
        rules_only.contains("rules only: no learned models"),
        "{rules_only}"
    );
    let (_, json, _) = run(d.cmd().args([
        "scan",
        "claims.jsonl",
        "--input",
        "jsonl",
        "--no-models",
        "--format",
        "json",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(doc["models"]["claim"].is_null(), "{json}");
}

/// The claim model's second stage from `--models DIR`: with the sentence encoder
/// (`LIVEGUARD_TEST_E5_MODELS`, mandatory under CI=true) a paraphrase the first stage
/// misses is a model finding carrying the second stage's version, and the models line
/// names it; a file that is not the one the fetch script checks is refused, exit 2.
#[test]
fn scan_uses_the_sentence_encoder_from_the_models_directory() {
    let d = Dir::new("encoder");
    d.create(
        "said.txt",
        "我爸那个手麻的毛病，泡了一个月脚，现在手一点都不麻了\n",
    );
    d.create("bad/e5-small-q4.bin", b"E5S1 but not the real file");
    let (code, out, err) = run(d.cmd().args([
        "scan",
        "said.txt",
        "--channel",
        "transcript",
        "--models",
        "bad",
    ]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("sha256"), "{err}");
    let dir = match std::env::var("LIVEGUARD_TEST_E5_MODELS") {
        Ok(d) if !d.is_empty() => d,
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "LIVEGUARD_TEST_E5_MODELS is required under CI=true"
            );
            eprintln!("notice: LIVEGUARD_TEST_E5_MODELS not set; second-stage scan skipped");
            return;
        }
    };
    let (code, out, err) = run(d.cmd().args([
        "scan",
        "said.txt",
        "--channel",
        "transcript",
        "--models",
        &dir,
    ]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("model/efficacy-claim"), "{out}");
    assert!(out.contains("score") && out.contains("e5head"), "{out}");
    assert!(out.contains("+ claim-efficacy-e5head"), "{out}");
}

//! Products, submissions and their versions (pre-broadcast review). The JSON documents —
//! product facts, review state, findings — belong to the server; the store keeps them, the
//! columns queues filter on, and the audit entries of every change in the same transaction.

use sqlx::{FromRow, Row};

use crate::columns::text_time;
use crate::{AuditDraft, Pool, Result, Stamp, Store, StoreError};

/// A product on file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Product category code.
    pub category: String,
    /// JSON document of the product's facts.
    pub data: String,
}

/// A submission (its current state).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubmissionRow {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// `script`, `product_copy` or `image_text`.
    pub kind: String,
    /// Author.
    pub author_id: i64,
    /// Product, if any.
    pub product_id: Option<i64>,
    /// Session plan, if any.
    pub plan_id: Option<i64>,
    /// Session start (RFC 3339).
    pub session_start: String,
    /// Whether the session plan has a lottery.
    pub has_lottery: bool,
    /// Stage code for queues (`draft`, `pending_first`, …, `approved`, `rejected`).
    pub stage: String,
    /// JSON document of the review state.
    pub review: String,
    /// Created.
    #[sqlx(try_from = "String")]
    pub created_at: Stamp,
    /// Last changed.
    #[sqlx(try_from = "String")]
    pub updated_at: Stamp,
}

/// One version's text and findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// Version number, from 1.
    pub version: i64,
    /// The text.
    pub text: String,
    /// Hex SHA-256 of the text.
    pub content_hash: String,
    /// JSON array of findings.
    pub findings: String,
    /// Saved.
    pub created_at: Stamp,
}

/// A new submission with its first version.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Author.
    pub author_id: i64,
    /// Product.
    pub product_id: Option<i64>,
    /// Session plan.
    pub plan_id: Option<i64>,
    /// Session start.
    pub session_start: String,
    /// Lottery in the plan.
    pub has_lottery: bool,
    /// Stage code.
    pub stage: String,
    /// Review state JSON.
    pub review: String,
    /// Version 1.
    pub first: VersionRow,
}

const SUBMISSION_COLUMNS: &str = "id, title, kind, author_id, product_id, plan_id, session_start, has_lottery, stage, review, created_at, updated_at";

impl Store {
    /// Stores a product and logs it.
    pub async fn create_product(
        &self,
        name: &str,
        category: &str,
        data: &str,
        audit: AuditDraft,
    ) -> Result<ProductRow> {
        if name.trim().is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid(
                "product name must be 1 to 200 bytes".into(),
            ));
        }
        let now = self.clock.now_rfc3339();
        let id: i64 = write_tx!(self, tx => {
            let id: i64 = sqlx::query("INSERT INTO products (name, category, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(name.trim())
                .bind(category)
                .bind(data)
                .bind(&now)
                .bind(&now)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
            let draft = AuditDraft { object: format!("product:{id}"), ..audit }.digests(None, Some(data.as_bytes()));
            append_audit!(self, tx, draft);
            id
        });
        Ok(ProductRow {
            id,
            name: name.trim().to_string(),
            category: category.to_string(),
            data: data.to_string(),
        })
    }

    /// Replaces a product's name, category and facts; logs before and after digests.
    pub async fn update_product(
        &self,
        id: i64,
        name: &str,
        category: &str,
        data: &str,
        audit: AuditDraft,
    ) -> Result<ProductRow> {
        if name.trim().is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid(
                "product name must be 1 to 200 bytes".into(),
            ));
        }
        let now = self.clock.now_rfc3339();
        write_tx!(self, tx => {
            let before: Option<String> = sqlx::query("SELECT data FROM products WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("data"))
                .transpose()?;
            let Some(before) = before else {
                return Err(StoreError::NotFound);
            };
            sqlx::query("UPDATE products SET name = $1, category = $2, data = $3, updated_at = $4 WHERE id = $5")
                .bind(name.trim())
                .bind(category)
                .bind(data)
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let draft = AuditDraft { object: format!("product:{id}"), ..audit }
                .digests(Some(before.as_bytes()), Some(data.as_bytes()));
            append_audit!(self, tx, draft);
        });
        Ok(ProductRow {
            id,
            name: name.trim().to_string(),
            category: category.to_string(),
            data: data.to_string(),
        })
    }

    /// Every product.
    pub async fn products(&self) -> Result<Vec<ProductRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query("SELECT id, name, category, data FROM products ORDER BY id").fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok(ProductRow { id: r.try_get("id")?, name: r.try_get("name")?, category: r.try_get("category")?, data: r.try_get("data")? }))
                .collect()
        })
    }

    /// One product.
    pub async fn product(&self, id: i64) -> Result<ProductRow> {
        let row = dispatch!(self, pool => {
            match sqlx::query("SELECT id, name, category, data FROM products WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Some(ProductRow { id: r.try_get("id")?, name: r.try_get("name")?, category: r.try_get("category")?, data: r.try_get("data")? }),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Stores a submission with its first version, logs it, returns its id.
    pub async fn create_submission(&self, new: NewSubmission, audit: AuditDraft) -> Result<i64> {
        if new.title.trim().is_empty() || new.title.len() > 200 {
            return Err(StoreError::Invalid("title must be 1 to 200 bytes".into()));
        }
        let now = self.clock.now_rfc3339();
        Ok(write_tx!(self, tx => {
            let id: i64 = sqlx::query(
                "INSERT INTO submissions (title, kind, author_id, product_id, session_start, has_lottery, stage, review, created_at, updated_at, plan_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(new.title.trim())
            .bind(&new.kind)
            .bind(new.author_id)
            .bind(new.product_id)
            .bind(&new.session_start)
            .bind(new.has_lottery)
            .bind(&new.stage)
            .bind(&new.review)
            .bind(&now)
            .bind(&now)
            .bind(new.plan_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            sqlx::query("INSERT INTO submission_versions (submission_id, version, text, content_hash, findings, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(1i64)
                .bind(&new.first.text)
                .bind(&new.first.content_hash)
                .bind(&new.first.findings)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            let draft = AuditDraft { object: format!("submission:{id}@v1"), ..audit }.digest_values(None, Some(new.first.content_hash.clone()));
            append_audit!(self, tx, draft);
            id
        }))
    }

    /// A submission.
    pub async fn submission(&self, id: i64) -> Result<SubmissionRow> {
        let row = dispatch!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row { Some(r) => Some(SubmissionRow::from_row(&r)?), None => None }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Submissions, newest first (at most 500).
    pub async fn submissions(&self) -> Result<Vec<SubmissionRow>> {
        dispatch!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SUBMISSION_COLUMNS} FROM submissions ORDER BY id DESC LIMIT 500")))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(SubmissionRow::from_row(r)?)).collect()
        })
    }

    /// One version of a submission.
    pub async fn submission_version(&self, id: i64, version: i64) -> Result<VersionRow> {
        let row = dispatch!(self, pool => {
            let row = sqlx::query("SELECT version, text, content_hash, findings, created_at FROM submission_versions WHERE submission_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(r) => Some(VersionRow { version: r.try_get("version")?, text: r.try_get("text")?, content_hash: r.try_get("content_hash")?, findings: r.try_get("findings")?, created_at: text_time(&r, "created_at")? }),
                None => None,
            }
        });
        row.ok_or(StoreError::NotFound)
    }

    /// Saves a new review state (and a new version, when the text changed), appending one
    /// audit entry per event — all in one transaction. `expected_updated_at` guards against
    /// two people acting on the same state at once: a stale write is a conflict.
    pub async fn update_submission(
        &self,
        id: i64,
        expected_updated_at: Stamp,
        stage: &str,
        review: &str,
        new_version: Option<VersionRow>,
        audits: Vec<AuditDraft>,
    ) -> Result<()> {
        let now = self.clock.now_rfc3339();
        write_tx!(self, tx => {
            let changed = sqlx::query("UPDATE submissions SET stage = $1, review = $2, updated_at = $3 WHERE id = $4 AND updated_at = $5")
                .bind(stage)
                .bind(review)
                .bind(&now)
                .bind(id)
                .bind(expected_updated_at.rfc3339())
                .execute(&mut *tx)
                .await?;
            if changed.rows_affected() == 0 {
                return Err(StoreError::Conflict { constraint: "the submission changed meanwhile; reload and try again".into() });
            }
            if let Some(v) = &new_version {
                sqlx::query("INSERT INTO submission_versions (submission_id, version, text, content_hash, findings, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id)
                    .bind(v.version)
                    .bind(&v.text)
                    .bind(&v.content_hash)
                    .bind(&v.findings)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
            }
            for draft in audits {
                append_audit!(self, tx, draft);
            }
        });
        Ok(())
    }
}

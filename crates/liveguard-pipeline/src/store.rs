//! The pipeline's narrow interface to the database.

use std::future::Future;

use liveguard_store::{IngestOutcome, IngestRow, Store, StoreError};

/// The six database operations the pipeline needs, and no more.
pub trait LiveStore: Clone + Send + Sync + 'static {
    /// The JSON snapshot a session was created with.
    fn session_snapshot(
        &self,
        session_id: i64,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    /// The text of an approved script version.
    fn script_text(
        &self,
        submission_id: i64,
        version: i64,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    /// The stored body of the session's last product-card or price event.
    fn last_card_body(
        &self,
        session_id: i64,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Titles of the session's committed lotteries.
    fn committed_lottery_titles(
        &self,
        session_id: i64,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Stores screened events, their alerts and follow-ups in one transaction; one outcome
    /// per row, in order.
    fn ingest_live(
        &self,
        rows: &[IngestRow],
    ) -> impl Future<Output = Result<Vec<IngestOutcome>, StoreError>> + Send;
    /// Now, in Unix milliseconds, by the store's clock.
    fn now_ms(&self) -> i64;
}

impl LiveStore for Store {
    async fn session_snapshot(&self, session_id: i64) -> Result<String, StoreError> {
        Ok(self.live_session(session_id).await?.data)
    }

    async fn script_text(&self, submission_id: i64, version: i64) -> Result<String, StoreError> {
        Ok(self.submission_version(submission_id, version).await?.text)
    }

    async fn last_card_body(&self, session_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self.live_last_card_event(session_id).await?.map(|e| e.body))
    }

    async fn committed_lottery_titles(&self, session_id: i64) -> Result<Vec<String>, StoreError> {
        Store::committed_lottery_titles(self, session_id).await
    }

    async fn ingest_live(&self, rows: &[IngestRow]) -> Result<Vec<IngestOutcome>, StoreError> {
        Store::ingest_live(self, rows).await
    }

    fn now_ms(&self) -> i64 {
        Store::now(self).ms()
    }
}

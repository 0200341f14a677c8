//! Which subjects the running request may see, for the rules that look
//! beyond the subject a request names: Confluent's reads of an unqualified
//! subject fall back to the same name in other contexts, and that fallback
//! must not reach a subject the caller may not read. The HTTP layer sets a
//! filter for callers who may not read every subject; without one, every
//! subject is visible.

use std::future::Future;
use std::sync::Arc;

/// Whether a subject, by qualified name, is visible.
pub type SubjectFilter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

tokio::task_local! {
    static VISIBLE: SubjectFilter;
}

/// Runs `work` seeing only the subjects `filter` accepts.
pub async fn scoped<F: Future>(filter: SubjectFilter, work: F) -> F::Output {
    VISIBLE.scope(filter, work).await
}

/// Whether the running request may see this subject.
pub fn may_see(qualified: &str) -> bool {
    VISIBLE.try_with(|filter| filter(qualified)).unwrap_or(true)
}

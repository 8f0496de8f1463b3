//! A table that lets another writer act between an operation's read and its write.

use std::sync::Arc;

use common::store::table::Table;
use common::store::table::embedded::EmbeddedTable;

/// What [`Interleaved`] runs between an operation's read and its write.
pub type Hook =
    Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

/// An embedded table that runs a hook once, just before the next write reaches the
/// store: another writer acting between an operation's read and its write.
pub struct Interleaved {
    pub inner: Arc<EmbeddedTable>,
    hook: std::sync::Mutex<Option<Hook>>,
}

impl Interleaved {
    pub fn new(inner: Arc<EmbeddedTable>) -> Self {
        Self {
            inner,
            hook: std::sync::Mutex::new(None),
        }
    }

    pub fn before_next_write(&self, hook: Hook) {
        *self.hook.lock().unwrap() = Some(hook);
    }

    pub fn hook_ran(&self) -> bool {
        self.hook.lock().unwrap().is_none()
    }
}

#[async_trait::async_trait]
impl Table for Interleaved {
    async fn get(
        &self,
        key: &common::store::table::Key,
        consistent: bool,
    ) -> Result<Option<common::store::table::Item>, common::store::table::TableError> {
        self.inner.get(key, consistent).await
    }
    async fn query(
        &self,
        query: &common::store::table::Query,
    ) -> Result<common::store::table::Page, common::store::table::TableError> {
        self.inner.query(query).await
    }
    async fn write(
        &self,
        ops: Vec<common::store::table::WriteOp>,
    ) -> Result<(), common::store::table::TableError> {
        let hook = self.hook.lock().unwrap().take();
        if let Some(hook) = hook {
            hook().await;
        }
        self.inner.write(ops).await
    }
    fn metrics(&self) -> &common::store::table::TableMetrics {
        self.inner.metrics()
    }
}

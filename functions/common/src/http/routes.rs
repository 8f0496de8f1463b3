use axum::Router;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::app::AppState;
use crate::error::ApiError;

/// Far above any valid request (a message is at most 5,000 characters).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A router that remembers its routes, so tests can hold them against the OpenAPI document.
pub struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, &'static str)>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            router: Router::new(),
            list: Vec::new(),
        }
    }
}

impl Routes {
    pub fn route(
        mut self,
        method: Method,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.list.push((method, path));
        self.router = self.router.route(path, handler);
        self
    }

    pub fn get(self, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        self.route(Method::GET, path, handler)
    }

    /// `method` must match the handler's own; `on` keeps the two in one place.
    pub fn on<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        self.route(method, path, on(filter, handler))
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.list.extend(other.list);
        self.router = self.router.merge(other.router);
        self
    }

    /// The (method, path) pairs served, in axum's path syntax.
    pub fn list(&self) -> &[(Method, &'static str)] {
        &self.list
    }

    /// The finished router: unknown paths and methods answer in the contract's error shape,
    /// and bodies past [`MAX_BODY_BYTES`] are refused with 413 before they are parsed.
    pub fn into_router(self, state: AppState) -> Router {
        self.router
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .fallback(|| async { ApiError::NotFound("no such route".into()) })
            .method_not_allowed_fallback(|| async {
                ApiError::MethodNotAllowed("method not allowed on this route".into())
            })
            .with_state(state)
    }
}

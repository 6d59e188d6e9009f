//! Paging of lists: an opaque cursor from the previous page and a page size.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// Paging of a list: an opaque cursor from the previous page and a page size.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

impl Page {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(20),
            Some(n) if (1..=100).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::BadRequest(format!(
                "limit must be between 1 and 100, not {n}"
            ))),
        }
    }

    /// The cursor's key, when it is a number (a version, a log entry).
    pub fn after_number(&self) -> Result<Option<i64>, ApiError> {
        self.after()?
            .map(|c| {
                c.parse::<i64>()
                    .map_err(|_| ApiError::BadRequest("the cursor is not one this registry gave out".into()))
            })
            .transpose()
    }

    /// The cursor's key.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| ApiError::BadRequest(format!("cursor {c:?} is not one this registry gave out")))
            })
            .transpose()
    }
}

/// The cursor of the page after one that ended at `key` (none when the page was not full).
pub fn next_cursor(key: Option<String>, len: usize, limit: i64) -> Option<String> {
    key.filter(|_| len as i64 == limit).map(|k| URL_SAFE_NO_PAD.encode(k))
}

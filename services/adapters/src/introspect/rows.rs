//! A catalog query's answer held compactly: the values' bytes in one buffer and two offsets
//! per value, read row by row as the server sends them.
//!
//! `tokio_postgres::Row` keeps, for each row, the part of the socket buffer it came in and a
//! 24-byte range per value: `schemareg diff` of two 10,000-table databases held its answers
//! in 290 MB at its peak, 245 MB this way, and fresh memory is slow memory (the kernel
//! clears each page first: on a virtual machine, often more system time than the client's
//! own work).

use futures_util::TryStreamExt;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::{Client, Column, Statement};

use super::{IntrospectError, failed};

/// The rows of one query.
pub struct Rows {
    statement: Option<Statement>,
    /// The values' bytes, one after the other.
    data: Vec<u8>,
    /// Where each value is in `data` (start, end), row after row; NULL has start `u32::MAX`.
    bounds: Vec<(u32, u32)>,
}

/// One row of [`Rows`].
#[derive(Clone, Copy)]
pub struct Row<'a> {
    rows: &'a Rows,
    /// The row's first value in `bounds`.
    first: usize,
}

/// Why a value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    #[error("no such column")]
    NoColumn,
    #[error("a {sql} value cannot be read as {rust}")]
    WrongType { sql: Type, rust: &'static str },
    #[error("{0}")]
    Decode(Box<dyn std::error::Error + Sync + Send>),
}

const NULL: u32 = u32::MAX;

/// The bytes of a value as the server sent them (NULL is `None` around it).
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Runs catalog query `name` (its text `sql`, no parameters) and keeps its rows as they
/// arrive.
pub async fn query(client: &Client, name: &'static str, sql: &str) -> Result<Rows, IntrospectError> {
    let statement = client.prepare(sql).await.map_err(failed(name))?;
    let stream = client
        .query_raw(
            &statement,
            std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>(),
        )
        .await
        .map_err(failed(name))?;
    let mut stream = std::pin::pin!(stream);
    let mut rows = Rows::none();
    rows.statement = Some(statement);
    while let Some(row) = stream.try_next().await.map_err(failed(name))? {
        rows.push(&row)
            .map_err(|message| IntrospectError::Decode { query: name, message })?;
    }
    Ok(rows)
}

impl Rows {
    /// No rows (a query that was not answered).
    pub fn none() -> Rows {
        Rows {
            statement: None,
            data: Vec::new(),
            bounds: Vec::new(),
        }
    }

    fn push(&mut self, row: &tokio_postgres::Row) -> Result<(), String> {
        for i in 0..row.len() {
            let value: Option<Raw> = row.try_get(i).map_err(|e| e.to_string())?;
            let bounds = match value {
                None => (NULL, NULL),
                Some(Raw(bytes)) => {
                    let start = self.data.len();
                    self.data.extend_from_slice(bytes);
                    match (u32::try_from(start), u32::try_from(self.data.len())) {
                        (Ok(start), Ok(end)) if end < NULL => (start, end),
                        _ => return Err("the answer is larger than 4 GiB".to_string()),
                    }
                }
            };
            self.bounds.push(bounds);
        }
        Ok(())
    }

    /// The columns of the rows (none when the query was not answered).
    pub fn columns(&self) -> &[Column] {
        self.statement.as_ref().map(|s| s.columns()).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.bounds.len().checked_div(self.columns().len()).unwrap_or(0)
    }

    /// The rows in the order they came.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.bounds.len())
            .step_by(self.columns().len().max(1))
            .map(move |first| Row { rows: self, first })
    }
}

/// A column of a row: its position or its name.
pub trait ColumnIndex {
    fn position(&self, columns: &[Column]) -> Option<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, columns: &[Column]) -> Option<usize> {
        (*self < columns.len()).then_some(*self)
    }
}

impl ColumnIndex for &str {
    fn position(&self, columns: &[Column]) -> Option<usize> {
        columns.iter().position(|c| c.name() == *self)
    }
}

impl<'a> Row<'a> {
    /// The value of a column, by position or name.
    pub fn try_get<T: FromSql<'a>>(&self, column: impl ColumnIndex) -> Result<T, ValueError> {
        let columns = self.rows.columns();
        let i = column.position(columns).ok_or(ValueError::NoColumn)?;
        let ty = columns[i].type_();
        if !T::accepts(ty) {
            return Err(ValueError::WrongType {
                sql: ty.clone(),
                rust: std::any::type_name::<T>(),
            });
        }
        let raw = match self.rows.bounds[self.first + i] {
            (NULL, _) => None,
            (start, end) => Some(&self.rows.data[start as usize..end as usize]),
        };
        T::from_sql_nullable(ty, raw).map_err(ValueError::Decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;

    type Read = (i32, Option<String>, Option<Vec<Option<String>>>);

    #[tokio::test]
    async fn values_read_back_as_sent_and_null_is_not_empty() {
        let db = TestDb::new().await;
        let client = db.client().await;
        let rows = query(
            &client,
            "test",
            "SELECT * FROM (VALUES (1, 'a', NULL::text[]), (2, '', ARRAY['x', NULL]), (3, NULL, '{}')) v(n, t, a) \
             ORDER BY n",
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 3);
        let read: Vec<Read> = rows
            .iter()
            .map(|r| (r.try_get(0).unwrap(), r.try_get("t").unwrap(), r.try_get("a").unwrap()))
            .collect();
        let expected: Vec<Read> = vec![
            (1, Some("a".into()), None),
            (2, Some(String::new()), Some(vec![Some("x".into()), None])),
            (3, None, Some(vec![])),
        ];
        assert_eq!(read, expected);

        let first = rows.iter().next().unwrap();
        let wrong = first.try_get::<String>("n").unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "a int4 value cannot be read as alloc::string::String"
        );
        assert!(matches!(first.try_get::<i32>("missing"), Err(ValueError::NoColumn)));
        assert!(matches!(first.try_get::<i32>(3), Err(ValueError::NoColumn)));
        let third = rows.iter().nth(2).unwrap();
        assert!(matches!(third.try_get::<String>("t"), Err(ValueError::Decode(_))));
    }

    #[tokio::test]
    async fn an_answer_without_rows_still_names_its_columns() {
        let db = TestDb::new().await;
        let client = db.client().await;
        let rows = query(&client, "test", "SELECT 1 AS one, 'x' AS two WHERE false")
            .await
            .unwrap();
        assert_eq!(rows.len(), 0);
        assert_eq!(rows.iter().count(), 0);
        let names: Vec<&str> = rows.columns().iter().map(|c| c.name()).collect();
        assert_eq!(names, ["one", "two"]);
        assert!(Rows::none().columns().is_empty());
    }

    #[tokio::test]
    async fn a_failing_query_names_itself() {
        let db = TestDb::new().await;
        let client = db.client().await;
        let Err(e) = query(&client, "broken", "SELECT 1/0").await else {
            panic!("division by zero was read");
        };
        assert!(e.to_string().starts_with("reading the catalog (broken) failed"), "{e}");
    }
}

//! Catalog rows turned into the snapshot model.
//!
//! One builder per catalog query (the files beside this one), each reading the rows of its
//! query and adding what they describe to a [`Builder`]: the snapshot being built and the
//! relations found so far by (schema, name), for the queries that hang things off them.
//! [`snapshot`] calls the builders in the order their data depends on.

mod acl;
mod collations;
mod columns;
mod constraints;
mod default_privileges;
mod dependencies;
mod domains;
mod enums;
mod extensions;
mod functions;
mod grants;
mod indexes;
mod owners;
mod policies;
mod quote;
mod relations;
mod schemas;
mod sequences;
mod triggers;
mod unmodelled;

use std::collections::HashMap;

use schemareg_engine::canonical::normalize;
use schemareg_engine::{CompositeType, MaterializedView, SequenceOptions, Snapshot, Table, View};
use tokio_postgres::types::FromSql;

use super::rows::{Row, Rows};
use super::{CatalogRows, IntrospectError};

fn get<'a, T: FromSql<'a>>(row: &Row<'a>, query: &'static str, col: &str) -> Result<T, IntrospectError> {
    row.try_get(col).map_err(|e| IntrospectError::Decode {
        query,
        message: format!("{col}: {e}"),
    })
}

/// A column of a query's rows, found by name once per query (a query of many rows read
/// value by value by name compares names for every value).
#[derive(Debug, Clone, Copy)]
struct Field {
    index: usize,
    name: &'static str,
}

/// The column `name` of `rows`; one that is not there fails when it is read.
fn field_named(rows: &Rows, name: &'static str) -> Field {
    let columns = rows.columns();
    Field {
        index: columns.iter().position(|c| c.name() == name).unwrap_or(usize::MAX),
        name,
    }
}

/// The columns `names` of `rows` (see [`field_named`]).
fn fields<const N: usize>(rows: &Rows, names: [&'static str; N]) -> [Field; N] {
    names.map(|name| field_named(rows, name))
}

/// The value of a row's column found by [`fields`].
fn field<'a, T: FromSql<'a>>(row: &Row<'a>, query: &'static str, f: Field) -> Result<T, IntrospectError> {
    row.try_get(f.index).map_err(|e| IntrospectError::Decode {
        query,
        message: format!("{}: {e}", f.name),
    })
}

fn decode<T>(query: &'static str, what: &str, v: Option<T>) -> Result<T, IntrospectError> {
    v.ok_or_else(|| IntrospectError::Decode {
        query,
        message: format!("unknown {what}"),
    })
}

fn sequence_options(row: &Row, q: &'static str, type_col: &str) -> Result<SequenceOptions, IntrospectError> {
    Ok(SequenceOptions {
        data_type: get(row, q, type_col)?,
        start: get(row, q, "seqstart")?,
        increment: get(row, q, "seqincrement")?,
        min_value: get(row, q, "seqmin")?,
        max_value: get(row, q, "seqmax")?,
        cache: get(row, q, "seqcache")?,
        cycle: get(row, q, "seqcycle")?,
    })
}

enum Relation {
    Table(Box<Table>),
    View(View),
    Materialized(MaterializedView),
    Composite(CompositeType),
}

/// The snapshot being built, and the relations (tables, views, materialized views, composite
/// types) that everything read after them hangs off, found by (schema, name). Relations go
/// into the snapshot when every query has been read.
#[derive(Default)]
struct Builder {
    snapshot: Snapshot,
    relations: Vec<Relation>,
    /// Relations by schema, then name (looked up by `&str`, without building a key).
    index: HashMap<String, HashMap<String, usize>>,
    /// Relations by oid, for the queries that name them so.
    by_oid: HashMap<u32, usize>,
    /// Each relation's owner (whose own privileges are no grants).
    owners: Vec<String>,
    /// Each relation's column numbers (`attnum`), in the order of its columns, for the
    /// queries that name columns by number.
    positions: Vec<Vec<i16>>,
    /// The role reading: what it owns lists no owner.
    reader: String,
    /// Identity columns whose sequence options the sequences query brings: (relation,
    /// column) and how the identity generates.
    identities: HashMap<(usize, String), schemareg_engine::IdentityGeneration>,
    /// Each relation's column collations (oid), in the order of its columns.
    collations: Vec<Vec<u32>>,
    /// Names quoted as the server quotes them.
    quoter: quote::Quoter,
}

impl Builder {
    /// The relation a row's `schema` and `relation` columns name, if it was read.
    fn find(&self, r: &Row, q: &'static str) -> Result<Option<usize>, IntrospectError> {
        Ok(self.lookup(get(r, q, "schema")?, get(r, q, "relation")?))
    }

    /// The relation a row's column `relation` names by oid, if it was read.
    fn find_oid(&self, r: &Row, q: &'static str, relation: Field) -> Result<Option<usize>, IntrospectError> {
        Ok(self.by_oid.get(&field::<u32>(r, q, relation)?).copied())
    }

    /// The relation read with oid `oid` and the name of its column number `number`, if both
    /// were read (for the queries that name another relation's columns by number).
    fn column_of(&self, oid: u32, number: i16) -> Option<(usize, &str)> {
        let i = *self.by_oid.get(&oid)?;
        self.column(i, number).map(|(name, _)| (i, name))
    }

    /// The relation named `schema`.`name`, if it was read.
    fn lookup(&self, schema: &str, name: &str) -> Option<usize> {
        self.index.get(schema).and_then(|m| m.get(name)).copied()
    }

    /// Lists an object's owner, unless it is the reading role.
    fn owned(&mut self, kind: schemareg_engine::OwnedKind, schema: &str, name: &str, owner: &str) {
        if owner != self.reader {
            self.snapshot.owners.push(schemareg_engine::Owner {
                kind,
                schema: Some(schema.to_string()),
                name: name.to_string(),
                arguments: None,
                owner: owner.to_string(),
            });
        }
    }

    /// Records a relation read by `relations.sql`.
    fn add_relation(&mut self, oid: u32, schema: String, name: String, owner: String, rel: Relation) {
        use schemareg_engine::OwnedKind;
        let kind = match &rel {
            Relation::Table(_) => OwnedKind::Table,
            Relation::View(_) => OwnedKind::View,
            Relation::Materialized(_) => OwnedKind::MaterializedView,
            Relation::Composite(_) => OwnedKind::Type,
        };
        self.owned(kind, &schema, &name, &owner);
        self.owners.push(owner);
        self.index.entry(schema).or_default().insert(name, self.relations.len());
        self.by_oid.insert(oid, self.relations.len());
        self.relations.push(rel);
        self.positions.push(Vec::new());
        self.collations.push(Vec::new());
    }

    /// The schema and name of relation `i`.
    fn relation_name(&self, i: usize) -> (&str, &str) {
        match &self.relations[i] {
            Relation::Table(t) => (&t.schema, &t.name),
            Relation::View(v) => (&v.schema, &v.name),
            Relation::Materialized(m) => (&m.schema, &m.name),
            Relation::Composite(c) => (&c.schema, &c.name),
        }
    }

    /// The name and collation (oid) of column number `number` (`attnum`) of a table or
    /// materialized view `i`.
    fn column(&self, i: usize, number: i16) -> Option<(&str, u32)> {
        let k = self.positions[i].iter().position(|p| *p == number)?;
        let name = match &self.relations[i] {
            Relation::Table(t) => t.columns.get(k).map(|c| c.name.as_str()),
            Relation::Materialized(m) => m.columns.get(k).map(|c| c.name.as_str()),
            _ => None,
        }?;
        Some((name, self.collations[i].get(k).copied().unwrap_or(0)))
    }

    /// The table a row is about, when it is one of the tables read.
    fn table(&mut self, r: &Row, q: &'static str) -> Result<Option<&mut schemareg_engine::Table>, IntrospectError> {
        Ok(match self.find(r, q)? {
            Some(i) => match &mut self.relations[i] {
                Relation::Table(t) => Some(t),
                _ => None,
            },
            None => None,
        })
    }
}

pub(super) fn snapshot(rows: &mut CatalogRows) -> Result<Snapshot, IntrospectError> {
    let keywords = rows
        .take(quote::QUERY)
        .iter()
        .map(|r| get::<String>(&r, quote::QUERY, "word"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut b = Builder {
        reader: rows.reader.clone(),
        quoter: quote::Quoter::new(keywords, rows.quote_all),
        ..Builder::default()
    };

    schemas::add(&mut b, rows.take(schemas::QUERY))?;
    extensions::add(&mut b, rows.take(extensions::QUERY))?;
    enums::add(&mut b, rows.take(enums::QUERY))?;
    domains::add(&mut b, rows.take(domains::QUERY))?;
    collations::add(&mut b, rows.take(collations::QUERY))?;

    let names = indexes::Names::read(
        rows.take(indexes::OPCLASSES_QUERY),
        rows.take(indexes::COLLATIONS_QUERY),
    )?;
    // Relations, then everything that hangs off them, found by oid or (schema, name).
    relations::add(&mut b, rows.take(relations::QUERY))?;
    columns::add(&mut b, &names, rows.take(columns::QUERY))?;
    sequences::add(&mut b, rows.take(sequences::QUERY))?;
    constraints::add(&mut b, rows.take(constraints::QUERY))?;
    indexes::add(&mut b, &names, rows.take(indexes::QUERY))?;
    functions::add(&mut b, rows.take(functions::QUERY))?;
    triggers::add(&mut b, rows.take(triggers::QUERY))?;
    policies::add(&mut b, rows.take(policies::QUERY))?;
    grants::add(&mut b, rows.take(grants::QUERY))?;
    default_privileges::add(&mut b, rows.take(default_privileges::QUERY))?;
    owners::add(&mut b, rows.take(owners::QUERY))?;
    unmodelled::add(&mut b, rows.take(unmodelled::QUERY))?;
    dependencies::add(&mut b, rows.take(dependencies::QUERY))?;

    if let Some(((i, column), _)) = b.identities.iter().next() {
        return Err(IntrospectError::Decode {
            query: sequences::QUERY,
            message: format!("identity column {column} of relation #{i} has no sequence"),
        });
    }
    let Builder {
        snapshot: mut s,
        relations,
        ..
    } = b;
    for rel in relations {
        match rel {
            Relation::Table(t) => s.tables.push(*t),
            Relation::View(v) => s.views.push(v),
            Relation::Materialized(m) => s.materialized_views.push(m),
            Relation::Composite(c) => s.composite_types.push(c),
        }
    }
    normalize(&mut s);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every catalog query is read by one builder, under the name it runs with.
    #[test]
    fn every_query_has_a_builder() {
        let mut read = vec![
            schemas::QUERY,
            extensions::QUERY,
            enums::QUERY,
            domains::QUERY,
            collations::QUERY,
            relations::QUERY,
            columns::QUERY,
            sequences::QUERY,
            constraints::QUERY,
            quote::QUERY,
            indexes::OPCLASSES_QUERY,
            indexes::COLLATIONS_QUERY,
            indexes::QUERY,
            functions::QUERY,
            triggers::QUERY,
            policies::QUERY,
            grants::QUERY,
            default_privileges::QUERY,
            owners::QUERY,
            unmodelled::QUERY,
            dependencies::QUERY,
        ];
        let mut run: Vec<&str> = crate::introspect::QUERIES.iter().map(|(name, _)| *name).collect();
        read.sort();
        run.sort();
        assert_eq!(read, run);
    }
}

//! Views, materialized views and functions that read something touched are dropped before
//! and created again after, and so, in turn, are those that read them.

use super::super::view::{create_materialized, create_view};
use super::*;

/// Views and materialized views that read something dropped or a column that changes, and
/// functions whose SQL-standard body does (PostgreSQL parsed the body when it was created and
/// depends on what it read) or whose arguments or result are of a type dropped: dropped before
/// and created again after, until nothing more reads what is recreated. What they are joins
/// `touched`.
pub(super) fn readers(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot, touched: &mut Touched) {
    if touched.is_empty() {
        return;
    }
    let mut dropped: BTreeSet<QualifiedName> = out.iter().filter_map(Change::dropped_view).collect();
    let mut handled: BTreeSet<(String, String, String)> = out
        .iter()
        .filter_map(|c| match c {
            Change::DropFunction(f) | Change::CreateFunction(f) | Change::ReplaceFunction { to: f, .. } => {
                Some((f.schema.clone(), f.name.clone(), f.arguments.clone()))
            }
            _ => None,
        })
        .collect();
    loop {
        let mut more = false;
        for v in &from.views {
            let name = QualifiedName::new(&v.schema, &v.name);
            if dropped.contains(&name) || !view_reads(from, touched, &name, &v.definition) {
                continue;
            }
            out.push(Change::DropView(v.clone()));
            if let Some(n) = to.views.iter().find(|x| x.schema == v.schema && x.name == v.name) {
                create_view(out, n);
            }
            dropped.insert(name.clone());
            touched.names.insert(name);
            more = true;
        }
        for v in &from.materialized_views {
            let name = QualifiedName::new(&v.schema, &v.name);
            if dropped.contains(&name) || !view_reads(from, touched, &name, &v.definition) {
                continue;
            }
            out.push(Change::DropMaterializedView(v.clone()));
            if let Some(n) = to
                .materialized_views
                .iter()
                .find(|x| x.schema == v.schema && x.name == v.name)
            {
                create_materialized(out, n);
            }
            dropped.insert(name.clone());
            touched.names.insert(name);
            more = true;
        }
        for f in &from.functions {
            let key = (f.schema.clone(), f.name.clone(), f.arguments.clone());
            if handled.contains(&key) || !function_reads(from, touched, f) {
                continue;
            }
            let Some(n) = to
                .functions
                .iter()
                .find(|x| (&x.schema, &x.name, &x.arguments) == (&f.schema, &f.name, &f.arguments))
            else {
                continue;
            };
            out.push(Change::DropFunction(f.clone()));
            out.push(Change::CreateFunction(n.clone()));
            handled.insert(key);
            touched.names.insert(QualifiedName::new(&f.schema, &f.name));
            more = true;
        }
        if !more {
            break;
        }
    }
}

fn view_reads(from: &Snapshot, touched: &Touched, name: &QualifiedName, definition: &str) -> bool {
    touched
        .recorded(from, &Dependent::View(name.clone()))
        .unwrap_or_else(|| touched.named(definition, true))
}

fn function_reads(from: &Snapshot, touched: &Touched, f: &Function) -> bool {
    let who = Dependent::Function {
        name: QualifiedName::new(&f.schema, &f.name),
        arguments: f.arguments.clone(),
    };
    touched.recorded(from, &who).unwrap_or_else(|| {
        let signature = format!("{} {}", f.arguments, f.result.as_deref().unwrap_or(""));
        f.sql_body().is_some_and(|b| touched.named(b, true)) || touched.named(&signature, false)
    })
}

//! Enum types: new labels are added in place; removed or reordered labels swap the type.

use super::*;

pub(super) fn diff(out: &mut Vec<Change>, from: &Snapshot, to: &Snapshot) {
    let m = match_by(&from.enums, &to.enums, |e| (e.schema.clone(), e.name.clone()));
    out.extend(m.removed.into_iter().cloned().map(Change::DropEnum));
    for e in m.added {
        out.push(Change::CreateEnum(e.clone()));
        let name = QualifiedName::new(&e.schema, &e.name);
        comment_change(out, CommentTarget::Type { name, domain: false }, &None, &e.comment);
    }
    for (a, b) in m.both {
        let name = QualifiedName::new(&a.schema, &a.name);
        if a.labels != b.labels {
            match additions(&a.labels, &b.labels) {
                Some(adds) => out.extend(adds.into_iter().map(|(label, position)| Change::AddEnumLabel {
                    name: name.clone(),
                    label,
                    position,
                })),
                None => out.push(Change::ReplaceEnum {
                    from: a.clone(),
                    to: b.clone(),
                }),
            }
        }
        comment_change(out, CommentTarget::Type { name, domain: false }, &a.comment, &b.comment);
    }
}

/// When `to` is `from` with labels inserted (existing ones kept in order), the labels to add
/// with their positions, in an order in which each position already exists.
fn additions(from: &[String], to: &[String]) -> Option<Vec<(String, LabelPosition)>> {
    let kept: Vec<&String> = to.iter().filter(|l| from.contains(l)).collect();
    if kept.len() != from.len() || kept.iter().zip(from).any(|(a, b)| *a != b) {
        return None;
    }
    let last_kept = to.iter().rposition(|l| from.contains(l));
    let first_kept = to.iter().position(|l| from.contains(l));
    let mut out = Vec::new();
    for (i, label) in to.iter().enumerate() {
        if from.contains(label) {
            continue;
        }
        // Labels past the last existing one are appended in order; the others go after the
        // label before them (which exists by then), or before the first existing label.
        let position = if last_kept.is_none_or(|k| i > k) {
            LabelPosition::End
        } else if i > 0 {
            LabelPosition::After(to[i - 1].clone())
        } else {
            LabelPosition::Before(to[first_kept.expect("some label is kept")].clone())
        };
        out.push((label.clone(), position));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn labels_added_keep_their_place() {
        assert_eq!(
            additions(&s(&["a", "b"]), &s(&["a", "b", "c"])),
            Some(vec![("c".into(), LabelPosition::End)])
        );
        assert_eq!(
            additions(&s(&["a", "c"]), &s(&["a", "b", "c"])),
            Some(vec![("b".into(), LabelPosition::After("a".into()))])
        );
        assert_eq!(
            additions(&s(&["b"]), &s(&["a", "b"])),
            Some(vec![("a".into(), LabelPosition::Before("b".into()))])
        );
        assert_eq!(additions(&s(&["a", "b"]), &s(&["b", "a"])), None);
        assert_eq!(additions(&s(&["a", "b"]), &s(&["a"])), None);
    }
}

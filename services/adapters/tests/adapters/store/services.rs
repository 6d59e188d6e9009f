//! Services in the store: created once per name, read, and listed page by page.

use schemareg_adapters::store::{Store, StoreError};

use super::service;

on_both_backends!(services);

async fn services(store: &Store) {
    let created = store.create_service(&service("billing"), &[]).await.unwrap();
    assert_eq!(created.owners, ["team-a"]);
    assert!(matches!(
        store.create_service(&service("billing"), &[]).await,
        Err(StoreError::Conflict(m)) if m.contains("billing")
    ));
    for name in ["alpha", "zeta", "gamma"] {
        store.create_service(&service(name), &[]).await.unwrap();
    }
    let read = store.service("billing").await.unwrap().unwrap();
    assert_eq!(read, created);
    assert!(store.service("nothing").await.unwrap().is_none());
    let first: Vec<_> = store
        .services(None, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(first, ["alpha", "billing"]);
    let rest: Vec<_> = store
        .services(Some("billing"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(rest, ["gamma", "zeta"]);
    assert!(matches!(
        store.existing_service("nothing").await,
        Err(StoreError::NotFound(_))
    ));
}

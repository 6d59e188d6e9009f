//! Versions in the store: numbered per service, the same digest again being the same version,
//! read by number, `latest` or digest, listed; concurrent pushes.

use schemareg_adapters::store::{Store, StoreError, VersionRef};

use super::{service, version};

on_both_backends!(versions, concurrent_pushes);

async fn versions(store: &Store) {
    store.create_service(&service("billing"), &[]).await.unwrap();
    store.create_service(&service("other"), &[]).await.unwrap();
    assert!(matches!(
        store.existing_version("billing", &VersionRef::Latest).await,
        Err(StoreError::NotFound(m)) if m.contains("no versions")
    ));
    let one = store
        .push_version("billing", &version("sha256:a"), |_| Vec::new())
        .await
        .unwrap();
    assert_eq!((one.version.number, one.created), (1, true));
    let again = store
        .push_version("billing", &version("sha256:a"), |_| Vec::new())
        .await
        .unwrap();
    assert_eq!((again.version.number, again.created), (1, false));
    assert_eq!(again.version, one.version);
    let two = store
        .push_version("billing", &version("sha256:b"), |_| Vec::new())
        .await
        .unwrap();
    assert_eq!((two.version.number, two.created), (2, true));
    // Numbers are per service.
    let other = store
        .push_version("other", &version("sha256:b"), |_| Vec::new())
        .await
        .unwrap();
    assert_eq!(other.version.number, 1);

    let latest = store.existing_version("billing", &VersionRef::Latest).await.unwrap();
    assert_eq!(latest.digest, "sha256:b");
    let by_digest = store
        .existing_version("billing", &VersionRef::Digest("sha256:a".into()))
        .await
        .unwrap();
    assert_eq!(by_digest.number, 1);
    assert_eq!(by_digest.labels["branch"], "main");
    assert_eq!(by_digest.commit.as_deref(), Some("abc123"));
    assert!(
        store
            .version("billing", &VersionRef::Number(3))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.snapshot("billing", 1).await.unwrap(),
        "{\"format\":1,\"d\":\"sha256:a\"}"
    );
    for d in ["c", "d", "e"] {
        store
            .push_version("billing", &version(&format!("sha256:{d}")), |_| Vec::new())
            .await
            .unwrap();
    }
    let page: Vec<_> = store
        .versions("billing", None, 2)
        .await
        .unwrap()
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(page, [5, 4]);
    let page: Vec<_> = store
        .versions("billing", Some(4), 10)
        .await
        .unwrap()
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(page, [3, 2, 1]);
    assert_eq!(store.version_count("billing").await.unwrap(), 5);
    let latest: Vec<_> = store
        .latest_versions()
        .await
        .unwrap()
        .into_iter()
        .map(|(s, v)| (s, v.number))
        .collect();
    assert_eq!(latest, [("billing".to_string(), 5), ("other".to_string(), 1)]);
}

async fn concurrent_pushes(store: &Store) {
    store.create_service(&service("billing"), &[]).await.unwrap();
    store
        .push_version("billing", &version("sha256:first"), |_| Vec::new())
        .await
        .unwrap();
    let pushes = (0..20).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .push_version("billing", &version("sha256:same"), |_| Vec::new())
                .await
                .unwrap()
        })
    });
    let results = futures_util::future::join_all(pushes).await;
    let numbers: Vec<i64> = results.iter().map(|r| r.as_ref().unwrap().version.number).collect();
    assert!(numbers.iter().all(|n| *n == 2), "{numbers:?}");
    assert_eq!(results.iter().filter(|r| r.as_ref().unwrap().created).count(), 1);
    // Different snapshots at once get distinct numbers.
    let pushes = (0..10).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .push_version("billing", &version(&format!("sha256:n{i}")), |_| Vec::new())
                .await
                .unwrap()
        })
    });
    let mut numbers: Vec<i64> = futures_util::future::join_all(pushes)
        .await
        .into_iter()
        .map(|r| r.unwrap().version.number)
        .collect();
    numbers.sort();
    assert_eq!(numbers, (3..=12).collect::<Vec<_>>());
    assert_eq!(store.version_count("billing").await.unwrap(), 12);
}

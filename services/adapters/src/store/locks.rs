//! Named locks with a lease, shared by all registry replicas through the store: one apply per
//! target database at a time. A holder that stops loses its lock when the lease runs out.

use super::{Store, StoreError, after, is_unique_violation, now};

impl Store {
    /// Takes the lock `name` for `holder` for `lease_secs`; false when someone else holds it
    /// and their lease has not run out.
    pub async fn acquire_lock(&self, name: &str, holder: &str, lease_secs: u64) -> Result<bool, StoreError> {
        let result = sqlx::query("INSERT INTO locks (name, holder, until) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(holder)
            .bind(after(lease_secs))
            .execute(&self.pool)
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => {
                let taken = sqlx::query("UPDATE locks SET holder = $2, until = $3 WHERE name = $1 AND until < $4")
                    .bind(name)
                    .bind(holder)
                    .bind(after(lease_secs))
                    .bind(now())
                    .execute(&self.pool)
                    .await?;
                Ok(taken.rows_affected() == 1)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Extends a held lock's lease.
    pub async fn renew_lock(&self, name: &str, holder: &str, lease_secs: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE locks SET until = $3 WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .bind(after(lease_secs))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives a lock back (only its holder can).
    pub async fn release_lock(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM locks WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Who holds a lock, if anyone whose lease has not run out.
    pub async fn lock_holder(&self, name: &str) -> Result<Option<String>, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT holder FROM locks WHERE name = $1 AND until >= $2")
            .bind(name)
            .bind(now())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("holder")).transpose()?)
    }
}

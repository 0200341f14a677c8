//! The SQL of principals, API keys, roles and role bindings. Every write
//! bumps `security_state.generation` in its own transaction, which is how
//! every process sharing the database learns that what it cached is stale.

use sqlx::Row;

use super::queries::{now_millis, Queries};
use super::StoreError;

/// A principal as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalRecord {
    pub name: String,
    /// Argon2id PHC string; `None` for key-only principals.
    pub password_hash: Option<String>,
    pub created_at: i64,
}

/// An API key as stored: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub key_id: String,
    pub principal: String,
    pub description: String,
    pub created_at: i64,
}

/// A role granted on a resource pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingRecord {
    pub principal: String,
    pub role: String,
    pub resource: String,
}

fn principal_from_row(row: &sqlx::any::AnyRow) -> Result<PrincipalRecord, StoreError> {
    Ok(PrincipalRecord {
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

type Statement<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl Queries<'_> {
    /// The generation of the security tables and whether any principal exists.
    pub async fn security_state(&mut self) -> Result<(i64, bool), StoreError> {
        let (generation, principals): (i64, i64) = sqlx::query_as(
            "SELECT generation, (SELECT COUNT(*) FROM principals) FROM security_state WHERE id = 1",
        )
        .fetch_one(&mut *self.conn)
        .await?;
        Ok((generation, principals > 0))
    }

    /// Runs one write to the security tables and bumps their generation;
    /// returns how many rows it touched.
    async fn security_write(&mut self, statement: Statement<'_>) -> Result<u64, StoreError> {
        let touched = statement.execute(&mut *self.conn).await?.rows_affected();
        sqlx::query("UPDATE security_state SET generation = generation + 1 WHERE id = 1")
            .execute(&mut *self.conn)
            .await?;
        Ok(touched)
    }

    pub async fn principal(&mut self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        sqlx::query("SELECT name, password_hash, created_at FROM principals WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.conn)
            .await?
            .as_ref()
            .map(principal_from_row)
            .transpose()
    }

    pub async fn principals(&mut self) -> Result<Vec<PrincipalRecord>, StoreError> {
        sqlx::query("SELECT name, password_hash, created_at FROM principals ORDER BY name")
            .fetch_all(&mut *self.conn)
            .await?
            .iter()
            .map(principal_from_row)
            .collect()
    }

    pub async fn insert_principal(
        &mut self,
        name: &str,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO principals (name, password_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(now_millis());
        self.security_write(insert).await?;
        Ok(())
    }

    /// Returns whether the principal exists.
    pub async fn set_password(
        &mut self,
        name: &str,
        password_hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query("UPDATE principals SET password_hash = $2 WHERE name = $1")
            .bind(name)
            .bind(password_hash);
        Ok(self.security_write(update).await? > 0)
    }

    /// Removes a principal with its keys and bindings; returns whether it existed.
    pub async fn delete_principal(&mut self, name: &str) -> Result<bool, StoreError> {
        for table in ["api_keys", "role_bindings"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE principal = $1"))
                .bind(name)
                .execute(&mut *self.conn)
                .await?;
        }
        let delete = sqlx::query("DELETE FROM principals WHERE name = $1").bind(name);
        Ok(self.security_write(delete).await? > 0)
    }

    /// The principal an API key belongs to, by the key's hash.
    pub async fn principal_of_key(
        &mut self,
        secret_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT principal FROM api_keys WHERE secret_hash = $1")
                .bind(secret_hash)
                .fetch_optional(&mut *self.conn)
                .await?,
        )
    }

    pub async fn insert_api_key(
        &mut self,
        key: &ApiKeyRecord,
        secret_hash: &str,
    ) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO api_keys (key_id, principal, secret_hash, description, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.key_id)
        .bind(&key.principal)
        .bind(secret_hash)
        .bind(&key.description)
        .bind(key.created_at);
        self.security_write(insert).await?;
        Ok(())
    }

    /// Keys, of one principal or of all; never their secrets.
    pub async fn api_keys(
        &mut self,
        principal: Option<&str>,
    ) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT key_id, principal, description, created_at FROM api_keys \
             WHERE $1 = '' OR principal = $1 ORDER BY principal, created_at, key_id",
        )
        .bind(principal.unwrap_or(""))
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiKeyRecord {
                    key_id: row.try_get("key_id")?,
                    principal: row.try_get("principal")?,
                    description: row.try_get("description")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn delete_api_key(&mut self, key_id: &str) -> Result<bool, StoreError> {
        let delete = sqlx::query("DELETE FROM api_keys WHERE key_id = $1").bind(key_id);
        Ok(self.security_write(delete).await? > 0)
    }

    /// Bindings, of one principal or of all.
    pub async fn bindings(
        &mut self,
        principal: Option<&str>,
    ) -> Result<Vec<BindingRecord>, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT principal, role, resource FROM role_bindings \
             WHERE $1 = '' OR principal = $1 ORDER BY principal, role, resource",
        )
        .bind(principal.unwrap_or(""))
        .fetch_all(&mut *self.conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(principal, role, resource)| BindingRecord {
                principal,
                role,
                resource,
            })
            .collect())
    }

    /// Adds a binding; returns false if it was there already.
    pub async fn insert_binding(&mut self, binding: &BindingRecord) -> Result<bool, StoreError> {
        let insert = sqlx::query(
            "INSERT INTO role_bindings (principal, role, resource) VALUES ($1, $2, $3) \
             ON CONFLICT (principal, role, resource) DO NOTHING",
        )
        .bind(&binding.principal)
        .bind(&binding.role)
        .bind(&binding.resource);
        Ok(self.security_write(insert).await? > 0)
    }

    pub async fn delete_binding(&mut self, binding: &BindingRecord) -> Result<bool, StoreError> {
        let delete = sqlx::query(
            "DELETE FROM role_bindings WHERE principal = $1 AND role = $2 AND resource = $3",
        )
        .bind(&binding.principal)
        .bind(&binding.role)
        .bind(&binding.resource);
        Ok(self.security_write(delete).await? > 0)
    }

    /// Custom roles: (name, JSON list of operations).
    pub async fn roles(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT name, operations FROM roles ORDER BY name")
                .fetch_all(&mut *self.conn)
                .await?,
        )
    }

    pub async fn put_role(&mut self, name: &str, operations: &str) -> Result<(), StoreError> {
        let upsert = sqlx::query(
            "INSERT INTO roles (name, operations) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET operations = excluded.operations",
        )
        .bind(name)
        .bind(operations);
        self.security_write(upsert).await?;
        Ok(())
    }

    /// Removes a custom role and its bindings; returns whether it existed.
    pub async fn delete_role(&mut self, name: &str) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM role_bindings WHERE role = $1")
            .bind(name)
            .execute(&mut *self.conn)
            .await?;
        let delete = sqlx::query("DELETE FROM roles WHERE name = $1").bind(name);
        Ok(self.security_write(delete).await? > 0)
    }
}

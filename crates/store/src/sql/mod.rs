//! The storage traits, written once for every backend: the SQL in this
//! folder runs unchanged on SQLite and PostgreSQL (`$N` placeholders,
//! `ON CONFLICT`, `RETURNING`). Each backend module instantiates
//! [`impl_store`] with its store, row and pool types.
//!
//! One file per table family, each a `macro_rules!` that expands to a
//! private module of trait impls in the backend module. A macro rather than
//! generic functions: the row mappers and queries then see concrete sqlx
//! types, with no `Decode`/`Encode` bound per column type.
//!
//! Rows are read only through [`col`] and its siblings, never `Row::get`,
//! which panics when a column is missing or does not decode.

mod clients;
mod factors;
mod keys;
mod mail;
mod requests;
mod security;
mod tokens;
mod users;

pub(crate) use clients::impl_clients;
pub(crate) use factors::impl_factors;
pub(crate) use keys::impl_keys;
pub(crate) use mail::impl_mail;
pub(crate) use requests::impl_requests;
pub(crate) use security::impl_security;
pub(crate) use tokens::impl_tokens;
pub(crate) use users::impl_users;

use crate::{backend, from_json};
use portico_core::infra::store::StoreResult;
use sqlx::{ColumnIndex, Decode, Row, Type};

/// Rows one sweep statement deletes at most.
pub(crate) const SWEEP_BATCH: u64 = 1000;

/// Column `i` of `r` as a `T`. A missing column or one that does not decode
/// as `T` (a schema out of step with the code) is a `StoreError` for this
/// request, not a panic.
pub(crate) fn col<'r, T, R, I>(r: &'r R, i: I) -> StoreResult<T>
where
    R: Row,
    I: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    r.try_get(i).map_err(backend)
}

/// Column `i` of `r` holds a record as JSON text.
pub(crate) fn json_col<'r, T, R, I>(r: &'r R, i: I) -> StoreResult<T>
where
    R: Row,
    I: ColumnIndex<R>,
    T: serde::de::DeserializeOwned,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    from_json(col::<&str, _, _>(r, i)?)
}

/// Column `i` of `r` holds space-separated words (scopes).
pub(crate) fn words_col<'r, R, I>(r: &'r R, i: I) -> StoreResult<Vec<String>>
where
    R: Row,
    I: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(col::<&str, _, _>(r, i)?
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Implement every storage trait for `$store`, which has a `pool` field for
/// reads and a `writer` field for writes (the same pool on PostgreSQL; one
/// connection on SQLite, see `sqlite.rs`). `$row` and `$pool` are the
/// backend's row and pool types.
macro_rules! impl_store {
    ($store:ty, $row:ty, $pool:ty) => {
        $crate::sql::impl_clients!($store, $row, $pool);
        $crate::sql::impl_users!($store, $row, $pool);
        $crate::sql::impl_requests!($store, $row, $pool);
        $crate::sql::impl_tokens!($store, $row, $pool);
        $crate::sql::impl_security!($store, $row, $pool);
        $crate::sql::impl_keys!($store, $row, $pool);
        $crate::sql::impl_mail!($store, $row, $pool);
        $crate::sql::impl_factors!($store, $row, $pool);
    };
}

pub(crate) use impl_store;

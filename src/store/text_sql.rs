//! Domain enums stored as TEXT columns: the life-cycle statuses (`domain::lifecycle`) are read
//! and written as themselves, so no status is compared or set as a string in the store or the
//! use cases. The domain stays free of diesel: the SQL mapping lives here, and a stored text no
//! life cycle knows is a deserialization error (never a default).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

/// Implements diesel's TEXT mapping for enums with `as_str` and `FromStr` (the life cycles'
/// `text_enum!`), on every backend whose TEXT is a Rust string.
macro_rules! text_sql {
    ($($ty:ty),+ $(,)?) => {$(
        // Bound as its text (used where diesel binds values itself, e.g. `eq_any` lists).
        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Ok(text.parse::<$ty>()?)
            }
        }

        impl<DB: Backend> diesel::deserialize::Queryable<Text, DB> for $ty
        where
            $ty: FromSql<Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        // Written as its text: the expression is the `&'static str` one (public diesel API only).
        impl AsExpression<Text> for $ty {
            type Expression = <&'static str as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl<'a> AsExpression<Text> for &'a $ty {
            type Expression = <&'static str as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Nullable<Text>> for $ty {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.as_str())
            }
        }

        impl<'a> AsExpression<Nullable<Text>> for &'a $ty {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.as_str())
            }
        }
    )+};
}

use crate::domain::lifecycle::batch::{BatchStatus, ItemStatus};
use crate::domain::lifecycle::claim::{ClaimStatus, LineStatus};
use crate::domain::lifecycle::payment::{AdvanceStatus, OrderStatus, SettlementStatus};
use crate::domain::lifecycle::preauth::PreauthStatus;
use crate::domain::lifecycle::reimbursement::{ReimbursementLineStatus, ReimbursementStatus};
use crate::domain::lifecycle::review::{DecisionStatus, ObjectionStatus, SampleStatus};

text_sql!(
    ClaimStatus,
    LineStatus,
    BatchStatus,
    ItemStatus,
    PreauthStatus,
    ReimbursementStatus,
    ReimbursementLineStatus,
    DecisionStatus,
    ObjectionStatus,
    SampleStatus,
    SettlementStatus,
    AdvanceStatus,
    OrderStatus,
);

/// Implements diesel's TEXT mapping for the record ids (`domain::record_ids`): bound and read as
/// their text on every backend.
macro_rules! id_sql {
    ($($ty:ty),+ $(,)?) => {$(
        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                Ok(<$ty>::from(String::from_sql(bytes)?))
            }
        }

        impl<DB: Backend> diesel::deserialize::Queryable<Text, DB> for $ty
        where
            $ty: FromSql<Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl AsExpression<Text> for $ty {
            type Expression = <String as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.into_string())
            }
        }

        impl<'a> AsExpression<Text> for &'a $ty {
            type Expression = <&'a str as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Nullable<Text>> for $ty {
            type Expression = <String as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.into_string())
            }
        }

        impl<'a> AsExpression<Nullable<Text>> for &'a $ty {
            type Expression = <&'a str as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.as_str())
            }
        }
    )+};
}

use crate::domain::record_ids::*;

id_sql!(
    OfficeId,
    UserId,
    ApiKeyId,
    ProviderId,
    ContractId,
    ContractEventId,
    InsuredId,
    ClaimId,
    AttachmentId,
    CaseAttachmentId,
    BatchId,
    DecisionId,
    ObjectionId,
    OutboxId,
    PreauthId,
    SampleId,
    AdvanceId,
    SettlementId,
    PaymentOrderId,
    ReimbursementId,
    ServiceFlagId,
    BudgetId,
);

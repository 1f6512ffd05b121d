//! Life cycles (چرخهٔ وضعیت) of everything that has a stored status: each is a state machine,
//! `transition(from, action) -> Result<To, TransitionError>`, like the contract's in
//! [`crate::domain::contract`]. Statuses are stored as text (the columns stay TEXT); these enums
//! are the only place the texts are spelled, `parse` is the only way back, and an unknown text
//! is an error, never a default.
//!
//! A status some code sets without a `transition` of its own is the *initial* one (a claim's from
//! the engine, a settlement's from its net, a decision's from the four-eyes rule): each module
//! says which.

/// Defines a status (or action) enum stored as text: serde renames to the exact text,
/// `ALL`, `as_str`, `parse` (no default), `Display` and `FromStr` (an error naming the entity).
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($entity:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:tt, )+
        }
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, utoipa::ToSchema)]
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value a stored text names; `None` for any other text (never a default).
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::lifecycle::UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
                    .ok_or_else(|| $crate::domain::lifecycle::UnknownStatus { entity: $entity, value: s.to_string() })
            }
        }
    };
}

pub mod batch;
pub mod claim;
pub mod outbox;
pub mod payment;
pub mod preauth;
pub mod reimbursement;
pub mod review;

/// A stored status text no life cycle knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {entity} status {value:?}")]
pub struct UnknownStatus {
    pub entity: &'static str,
    pub value: String,
}

/// A move a life cycle does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {entity} that is {from} cannot be {action}")]
pub struct TransitionError {
    pub entity: &'static str,
    pub from: &'static str,
    pub action: &'static str,
}

text_enum! {
    /// The outcome of a decision (نتیجهٔ رسیدگی) on a claim, a claim line or a reimbursement:
    /// what the amounts say.
    #[schema(as = ReviewOutcome)]
    pub enum Outcome ("outcome") {
        /// Nothing deducted (تأیید کامل).
        Approved = "approved",
        /// Something deducted, something kept (تأیید با کسور).
        PartiallyApproved = "partially_approved",
        /// Nothing kept (رد).
        Rejected = "rejected",
    }
}

impl Outcome {
    /// From the amounts: nothing `deducted` is approved; nothing `kept` (insurer payable +
    /// patient share + gap) is rejected; else partially approved.
    pub fn from_amounts(deducted: i64, kept: i64) -> Outcome {
        if deducted == 0 {
            Outcome::Approved
        } else if kept == 0 {
            Outcome::Rejected
        } else {
            Outcome::PartiallyApproved
        }
    }
}

#[cfg(test)]
pub(crate) mod table {
    //! The shared test of a life cycle: every (status, action) pair against the allowed list,
    //! and every status's text round trip.

    use std::fmt::Debug;

    use super::TransitionError;

    pub fn walk<S, A>(
        statuses: &[S],
        actions: &[A],
        allowed: &[(S, A, S)],
        transition: impl Fn(S, A) -> Result<S, TransitionError>,
    ) where
        S: Copy + PartialEq + Debug,
        A: Copy + PartialEq + Debug,
    {
        for (f, a, _) in allowed {
            assert!(statuses.contains(f) && actions.contains(a), "{f:?} {a:?} is not in the table");
        }
        let mut moves = 0;
        for &s in statuses {
            for &a in actions {
                let want = allowed.iter().find(|(f, act, _)| *f == s && *act == a).map(|(_, _, to)| *to);
                match (transition(s, a), want) {
                    (Ok(to), Some(want)) => {
                        assert_eq!(to, want, "{s:?} {a:?}");
                        moves += 1;
                    }
                    (Err(e), None) => assert!(!e.to_string().is_empty()),
                    (got, want) => panic!("{s:?} {a:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(moves, allowed.len(), "a move is listed twice");
    }

    pub fn round_trip<S>(
        statuses: &[S],
        as_str: impl Fn(S) -> &'static str,
        parse: impl Fn(&str) -> Option<S>,
    ) where
        S: Copy + PartialEq + Debug,
    {
        let mut seen = std::collections::HashSet::new();
        for &s in statuses {
            assert_eq!(parse(as_str(s)), Some(s), "{s:?}");
            assert!(seen.insert(as_str(s)), "{s:?}: text used twice");
        }
        for bad in ["", "unknown", "Approved", "APPROVED", " pended", "pended ", "paid\n", "in-review"] {
            assert_eq!(parse(bad), None, "{bad:?} must be refused");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_from_amounts() {
        assert_eq!(Outcome::from_amounts(0, 100), Outcome::Approved);
        assert_eq!(Outcome::from_amounts(0, 0), Outcome::Approved);
        assert_eq!(Outcome::from_amounts(10, 90), Outcome::PartiallyApproved);
        assert_eq!(Outcome::from_amounts(100, 0), Outcome::Rejected);
    }

    #[test]
    fn outcome_texts() {
        table::round_trip(Outcome::ALL, Outcome::as_str, Outcome::parse);
        assert_eq!("rejected".parse::<Outcome>(), Ok(Outcome::Rejected));
        assert_eq!("nope".parse::<Outcome>(), Err(UnknownStatus { entity: "outcome", value: "nope".into() }));
        assert_eq!(serde_json::to_string(&Outcome::PartiallyApproved).unwrap(), "\"partially_approved\"");
        assert_eq!(serde_json::from_str::<Outcome>("\"approved\"").unwrap(), Outcome::Approved);
        assert!(serde_json::from_str::<Outcome>("\"Approved\"").is_err());
    }
}

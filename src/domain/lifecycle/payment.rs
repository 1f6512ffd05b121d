//! Paying providers: settlements (تسویه‌حساب), advances (علی‌الحساب) and payment orders
//! (دستور پرداخت).
//!
//! A settlement's first status is from its net ([`SettlementStatus::for_net`]): approved (to be
//! paid), closed (nothing to pay) or carried (the provider owes; the next settlement nets it and
//! records itself in `carried_to`, the status staying carried). Then:
//!
//! | entity | from | action | to |
//! |---|---|---|---|
//! | settlement | approved | order — put in a payment order | ordered |
//! | settlement | ordered | pay — its order is paid | paid |
//! | advance | due | pay — finance records the bank's payment | paid |
//! | payment order | issued | pay | paid |
//!
//! A paid advance is netted by a settlement by recording the settlement's id; its status stays
//! paid.

use super::TransitionError;
use crate::domain::money::Rial;

text_enum! {
    /// The status of a settlement (وضعیت تسویه‌حساب).
    pub enum SettlementStatus ("settlement") {
        /// To be paid (تأیید شده).
        Approved = "approved",
        /// Nothing to pay (بسته).
        Closed = "closed",
        /// Negative: the provider owes, the next settlement nets it (منتقل به تسویهٔ بعد).
        Carried = "carried",
        /// In a payment order (در دستور پرداخت).
        Ordered = "ordered",
        /// Paid (پرداخت شده).
        Paid = "paid",
    }
}

impl SettlementStatus {
    /// The statuses the Organization still owes: the only ones that can be late and accrue
    /// damages.
    pub const OWED: [SettlementStatus; 2] = [SettlementStatus::Approved, SettlementStatus::Ordered];

    /// A new settlement's status from its net: approved (to be paid), closed (nothing to pay) or
    /// carried (the Organization recovers overpayments from later payments, not by invoice).
    pub fn for_net(net: Rial) -> SettlementStatus {
        match net.0 {
            n if n > 0 => SettlementStatus::Approved,
            0 => SettlementStatus::Closed,
            _ => SettlementStatus::Carried,
        }
    }

    pub fn is_owed(self) -> bool {
        Self::OWED.contains(&self)
    }

    /// The status in Persian, as finance and providers read it.
    pub fn name_fa(self) -> &'static str {
        match self {
            SettlementStatus::Approved => "تأیید شده، آمادهٔ پرداخت",
            SettlementStatus::Closed => "بسته (بی‌مانده)",
            SettlementStatus::Carried => "بدهی مرکز، منتقل به تسویهٔ بعد",
            SettlementStatus::Ordered => "در دستور پرداخت",
            SettlementStatus::Paid => "پرداخت شده",
        }
    }
}

text_enum! {
    /// What is done to a settlement.
    pub enum SettlementAction ("settlement action") {
        Order = "order",
        Pay = "pay",
    }
}

/// The settlement's status after `action`, or why not.
pub fn settlement_transition(
    from: SettlementStatus,
    action: SettlementAction,
) -> Result<SettlementStatus, TransitionError> {
    use SettlementAction::*;
    use SettlementStatus::*;
    match (from, action) {
        (Approved, Order) => Ok(Ordered),
        (Ordered, Pay) => Ok(Paid),
        (from, action) => {
            Err(TransitionError { entity: "settlement", from: from.as_str(), action: action.as_str() })
        }
    }
}

text_enum! {
    /// The status of an advance on a monthly list (وضعیت علی‌الحساب).
    pub enum AdvanceStatus ("advance") {
        /// Due on its date (سررسید).
        Due = "due",
        /// Paid (پرداخت شده).
        Paid = "paid",
    }
}

impl AdvanceStatus {
    /// The status in Persian.
    pub fn name_fa(self) -> &'static str {
        match self {
            AdvanceStatus::Due => "در انتظار پرداخت",
            AdvanceStatus::Paid => "پرداخت شده",
        }
    }
}

text_enum! {
    /// What is done to an advance.
    pub enum AdvanceAction ("advance action") {
        Pay = "pay",
    }
}

/// The advance's status after `action`, or why not.
pub fn advance_transition(
    from: AdvanceStatus,
    action: AdvanceAction,
) -> Result<AdvanceStatus, TransitionError> {
    match (from, action) {
        (AdvanceStatus::Due, AdvanceAction::Pay) => Ok(AdvanceStatus::Paid),
        (from, action) => {
            Err(TransitionError { entity: "advance", from: from.as_str(), action: action.as_str() })
        }
    }
}

text_enum! {
    /// The status of a payment order to the bank (وضعیت دستور پرداخت).
    pub enum OrderStatus ("payment order") {
        /// Sent to the bank (صادر شده).
        Issued = "issued",
        /// The bank paid it (پرداخت شده).
        Paid = "paid",
    }
}

impl OrderStatus {
    /// The status in Persian.
    pub fn name_fa(self) -> &'static str {
        match self {
            OrderStatus::Issued => "صادر شده، در انتظار بانک",
            OrderStatus::Paid => "پرداخت شده",
        }
    }
}

text_enum! {
    /// What is done to a payment order.
    pub enum OrderAction ("payment order action") {
        Pay = "pay",
    }
}

/// The order's status after `action`, or why not.
pub fn order_transition(from: OrderStatus, action: OrderAction) -> Result<OrderStatus, TransitionError> {
    match (from, action) {
        (OrderStatus::Issued, OrderAction::Pay) => Ok(OrderStatus::Paid),
        (from, action) => {
            Err(TransitionError { entity: "payment order", from: from.as_str(), action: action.as_str() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table;
    use super::*;

    #[test]
    fn every_settlement_transition() {
        use SettlementAction::*;
        use SettlementStatus::*;
        let allowed = [(Approved, Order, Ordered), (Ordered, Pay, Paid)];
        table::walk(SettlementStatus::ALL, SettlementAction::ALL, &allowed, settlement_transition);
        table::round_trip(SettlementStatus::ALL, SettlementStatus::as_str, SettlementStatus::parse);
    }

    #[test]
    fn a_settlements_first_status_is_from_its_net() {
        assert_eq!(SettlementStatus::for_net(Rial(1)), SettlementStatus::Approved);
        assert_eq!(SettlementStatus::for_net(Rial(0)), SettlementStatus::Closed);
        assert_eq!(SettlementStatus::for_net(Rial(-1)), SettlementStatus::Carried);
        let owed: Vec<_> = SettlementStatus::ALL.iter().filter(|s| s.is_owed()).map(|s| s.as_str()).collect();
        assert_eq!(owed, ["approved", "ordered"]);
    }

    #[test]
    fn every_advance_transition() {
        let allowed = [(AdvanceStatus::Due, AdvanceAction::Pay, AdvanceStatus::Paid)];
        table::walk(AdvanceStatus::ALL, AdvanceAction::ALL, &allowed, advance_transition);
        table::round_trip(AdvanceStatus::ALL, AdvanceStatus::as_str, AdvanceStatus::parse);
    }

    #[test]
    fn every_order_transition() {
        let allowed = [(OrderStatus::Issued, OrderAction::Pay, OrderStatus::Paid)];
        table::walk(OrderStatus::ALL, OrderAction::ALL, &allowed, order_transition);
        table::round_trip(OrderStatus::ALL, OrderStatus::as_str, OrderStatus::parse);
    }
}

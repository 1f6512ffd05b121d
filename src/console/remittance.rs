//! The remittance advice (صورت‌حساب تسویه / اعلامیهٔ پرداخت) as a printable Persian page: one
//! askama document (`templates/console/_remittance_doc.html`, its styles with `@media print` in
//! `_remittance.css`) that the API's `GET /api/v1/settlements/{id}/remittance?format=html`
//! serves as a standalone page and the console's finance screen shows in its frame. It replaced
//! the hand-built HTML and its escaper (`services::settlements::remittance_html`): askama
//! escapes every value. The view formats what `services::settlements::remittance` returns
//! (grouped rials, Jalali days); it computes no amount.

use askama::Template;

use crate::console::format::{service_month, Day, Rials};
use crate::domain::lifecycle::payment::SettlementStatus;
use crate::error::{AppError, AppResult};
use crate::services::settlements::Remittance;

/// A deduction's reason on a line: code, amount, who bears it and the catalogue's text.
pub struct ReasonLine {
    pub code: String,
    pub amount: Rials,
    pub bearer: &'static str,
    pub message: &'static str,
}

/// One claim line of the remittance; the item's amount on its claim's first line.
pub struct RemitLine {
    pub first: bool,
    /// How many lines the item has (the first line's cells span them).
    pub span: usize,
    pub document_no: String,
    pub claim_id: String,
    pub adjustment: bool,
    pub item_amount: Rials,
    pub line_no: i32,
    pub code: String,
    pub service_day: Day,
    pub billed: Rials,
    pub tariff: Rials,
    pub insurer: Rials,
    pub patient: Rials,
    pub deducted: Rials,
    pub reasons: Vec<ReasonLine>,
}

/// The remittance as the page shows it.
pub struct RemittanceDoc {
    pub id: String,
    pub provider: String,
    pub month: String,
    pub due: Day,
    pub status: &'static str,
    pub carried: bool,
    pub paid_on: Option<Day>,
    pub bank_reference: Option<String>,
    pub days_late: i64,
    pub damages: Rials,
    pub claims_payable: Rials,
    pub adjustments: Rials,
    pub advances: Rials,
    pub carried_in: Rials,
    pub net: Rials,
    pub lines: Vec<RemitLine>,
    pub documents: usize,
    pub total_billed: Rials,
    pub total_insurer: Rials,
    pub total_patient: Rials,
    pub total_deducted: Rials,
    pub total_items: Rials,
}

impl RemittanceDoc {
    pub fn of(r: &Remittance) -> RemittanceDoc {
        let s = &r.settlement.row;
        let mut lines = Vec::new();
        let (mut billed, mut insurer, mut patient, mut deducted, mut items) = (0, 0, 0, 0, 0);
        for it in &r.items {
            items += it.amount;
            let span = it.claim.lines.len().max(1);
            for (i, l) in it.claim.lines.iter().enumerate() {
                billed += l.billed;
                insurer += l.insurer_payable;
                patient += l.patient_share + l.patient_gap;
                deducted += l.deducted;
                lines.push(RemitLine {
                    first: i == 0,
                    span,
                    document_no: it.claim.provider_document_no.clone(),
                    claim_id: it.claim.id.to_string(),
                    adjustment: it.kind == "adjustment",
                    item_amount: Rials(it.amount),
                    line_no: l.line_no,
                    code: l.code.clone(),
                    service_day: Day::of(l.service_date),
                    billed: Rials(l.billed),
                    tariff: Rials(l.tariff_amount),
                    insurer: Rials(l.insurer_payable),
                    patient: Rials(l.patient_share + l.patient_gap),
                    deducted: Rials(l.deducted),
                    reasons: l
                        .reasons
                        .iter()
                        .map(|x| ReasonLine {
                            code: x.code.clone(),
                            amount: Rials(x.amount),
                            bearer: x.group.bearer_fa(),
                            message: x.message_fa,
                        })
                        .collect(),
                });
            }
        }
        RemittanceDoc {
            id: s.id.to_string(),
            provider: r.provider_name.clone(),
            month: service_month(&s.service_month),
            due: Day::of(s.due_on),
            status: s.status.name_fa(),
            carried: s.status == SettlementStatus::Carried,
            paid_on: s.paid_on.map(Day::of),
            bank_reference: s.bank_reference.clone(),
            days_late: r.settlement.days_late,
            damages: Rials(r.settlement.damages),
            claims_payable: Rials(s.claims_payable),
            adjustments: Rials(s.adjustments),
            advances: Rials(s.advances_netted),
            carried_in: Rials(s.carried_in),
            net: Rials(s.net_payable),
            documents: r.items.len(),
            lines,
            total_billed: Rials(billed),
            total_insurer: Rials(insurer),
            total_patient: Rials(patient),
            total_deducted: Rials(deducted),
            total_items: Rials(items),
        }
    }
}

/// The standalone printable page (the API's `format=html`).
#[derive(Template)]
#[template(path = "console/remittance.html")]
pub struct RemittancePrint {
    pub doc: RemittanceDoc,
    pub font: &'static str,
}

/// The remittance as a printable page in Persian (RTL, Jalali dates, grouped rials).
pub fn html(r: &Remittance) -> AppResult<String> {
    RemittancePrint {
        doc: RemittanceDoc::of(r),
        font: crate::console::assets::url("vazirmatn-variable.woff2"),
    }
    .render()
    .map_err(|e| AppError::internal(format!("template: {e}")))
}

//! The one schema for both backends (portable column types only). Keep in step with
//! `migrations/sqlite` and `migrations/postgres`; the integration tests run on both.

diesel::table! {
    provinces (id) {
        id -> Integer,
        code -> Text,
        name_fa -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    offices (id) {
        id -> Text,
        province_id -> Integer,
        code -> Text,
        name_fa -> Text,
        name_en -> Text,
        address -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        auto_approve_limit -> Nullable<BigInt>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        provider_id -> Nullable<Text>,
        office_id -> Nullable<Text>,
        insured_id -> Nullable<Text>,
        active -> Bool,
        must_change_password -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        province_id -> Nullable<Integer>,
    }
}

diesel::table! {
    auth_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tariff_revisions (year, revision) {
        year -> Integer,
        revision -> Integer,
        status -> Text,
        effective_from -> Date,
        cabinet_resolution -> Text,
        content_hash -> Text,
        imported_at -> Timestamp,
        imported_by -> Text,
    }
}

diesel::table! {
    tariff_files (year, revision, file_name) {
        year -> Integer,
        revision -> Integer,
        file_name -> Text,
        content -> Text,
    }
}

diesel::table! {
    providers (id) {
        id -> Text,
        name_fa -> Text,
        name_en -> Nullable<Text>,
        kind -> Text,
        sector -> Text,
        hospital_grade -> Nullable<Integer>,
        sso_owned -> Bool,
        province_id -> Integer,
        office_id -> Text,
        legal_national_id -> Nullable<Text>,
        medical_council_no -> Nullable<Text>,
        physician_degree -> Nullable<Text>,
        sheba -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contracts (id) {
        id -> Text,
        number -> Text,
        provider_id -> Text,
        office_id -> Text,
        valid_from -> Date,
        valid_to -> Date,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contract_versions (contract_id, version) {
        contract_id -> Text,
        version -> Integer,
        effective_from -> Date,
        terms -> Text,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contract_events (id) {
        id -> Text,
        contract_id -> Text,
        action -> Text,
        status_after -> Text,
        effective_on -> Date,
        reason -> Nullable<Text>,
        note -> Nullable<Text>,
        actor -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    insured_persons (id) {
        id -> Text,
        national_code -> Text,
        insurance_no -> Nullable<Text>,
        first_name -> Text,
        last_name -> Text,
        sex -> Text,
        birth_date -> Date,
        email -> Nullable<Text>,
        mobile -> Nullable<Text>,
        insurance_type -> Text,
        special_disease -> Bool,
        supplementary -> Bool,
        main_insured_id -> Nullable<Text>,
        relation -> Nullable<Text>,
        student_until -> Nullable<Date>,
        disabled -> Bool,
        married -> Bool,
        employed -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    coverage_periods (insured_id, valid_from) {
        insured_id -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
    }
}

diesel::table! {
    claims (id) {
        id -> Text,
        provider_id -> Text,
        office_id -> Text,
        provider_document_no -> Text,
        insured_national_code -> Text,
        insured_id -> Nullable<Text>,
        setting -> Text,
        kind -> Text,
        status -> Text,
        service_month -> Text,
        first_service_date -> Date,
        prescription_tracking_code -> Nullable<Text>,
        prescribed_on -> Nullable<Date>,
        physician_council_no -> Nullable<Text>,
        diagnoses -> Text,
        admitted_on -> Nullable<Date>,
        discharged_on -> Nullable<Date>,
        work_accident -> Bool,
        accident_report_no -> Nullable<Text>,
        employer_code -> Nullable<Text>,
        employer_name -> Nullable<Text>,
        billed -> BigInt,
        tariff -> BigInt,
        insurer_payable -> BigInt,
        patient_share -> BigInt,
        patient_gap -> BigInt,
        deducted -> BigInt,
        pend_notes -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    claim_lines (claim_id, line_no) {
        claim_id -> Text,
        line_no -> Integer,
        item_type -> Text,
        code -> Text,
        quantity -> Text,
        approved_quantity -> Text,
        service_date -> Date,
        billed -> BigInt,
        unit_price -> Nullable<BigInt>,
        anesthesia_units -> Text,
        medical_order -> Bool,
        physician_council_no -> Nullable<Text>,
        status -> Text,
        tariff_year -> Nullable<Integer>,
        tariff_revision -> Nullable<Integer>,
        tariff_status -> Nullable<Text>,
        tariff_unit_price -> BigInt,
        tariff_amount -> BigInt,
        insurer_payable -> BigInt,
        patient_share -> BigInt,
        patient_gap -> BigInt,
        deducted -> BigInt,
        cost_sharing_rule -> Nullable<Text>,
        reasons -> Text,
        pend_reasons -> Text,
        preauthorization_id -> Nullable<Text>,
        provider_id -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        claim_id -> Text,
        sha256 -> Text,
        document_type -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        original_name -> Nullable<Text>,
        stamp_office -> Text,
        stamp_user_name -> Text,
        stamp_user_code -> Text,
        stamp_date -> Date,
        created_at -> Timestamp,
        provider_id -> Text,
    }
}

diesel::table! {
    claim_batches (id) {
        id -> Text,
        provider_id -> Text,
        created_by -> Text,
        status -> Text,
        total -> Integer,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        received_on -> Nullable<Date>,
        leased_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    claim_batch_items (batch_id, seq) {
        batch_id -> Text,
        seq -> Integer,
        provider_document_no -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        claim_id -> Nullable<Text>,
        http_status -> Nullable<Integer>,
        error -> Nullable<Text>,
        provider_id -> Text,
    }
}

diesel::table! {
    provider_month_totals (provider_id, service_month) {
        provider_id -> Text,
        service_month -> Text,
        insurer_payable -> BigInt,
        claims -> Integer,
    }
}

diesel::table! {
    claim_reviews (claim_id) {
        claim_id -> Text,
        assigned_to -> Nullable<Text>,
        assigned_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        provider_id -> Text,
    }
}

diesel::table! {
    review_decisions (id) {
        id -> Text,
        claim_id -> Text,
        origin -> Text,
        objection_id -> Nullable<Text>,
        decided_by -> Text,
        status -> Text,
        lines -> Text,
        note -> Nullable<Text>,
        payable_before -> BigInt,
        payable_after -> BigInt,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        provider_id -> Text,
    }
}

diesel::table! {
    objections (id) {
        id -> Text,
        claim_id -> Text,
        filed_by -> Text,
        reason -> Text,
        line_nos -> Text,
        status -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        provider_id -> Text,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_name -> Text,
        actor_role -> Text,
        entity -> Text,
        entity_id -> Text,
        action -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
        mac -> Nullable<Text>,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
        authenticated_from -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        recipient_kind -> Text,
        recipient_id -> Text,
        subject_id -> Text,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    preauthorizations (id) {
        id -> Text,
        provider_id -> Text,
        office_id -> Text,
        insured_id -> Text,
        national_code -> Text,
        item_type -> Text,
        code -> Text,
        quantity -> Text,
        diagnoses -> Text,
        justification -> Text,
        status -> Text,
        approved_quantity -> Nullable<Text>,
        valid_from -> Nullable<Date>,
        valid_to -> Nullable<Date>,
        decision_reason -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        requested_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_attachments (id) {
        id -> Text,
        case_kind -> Text,
        case_id -> Text,
        sha256 -> Text,
        document_type -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        original_name -> Nullable<Text>,
        stamp_office -> Text,
        stamp_user_name -> Text,
        stamp_user_code -> Text,
        stamp_date -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    review_samples (id) {
        id -> Text,
        office_id -> Text,
        provider_id -> Text,
        service_month -> Text,
        method -> Text,
        percent -> Nullable<Text>,
        above_amount -> Nullable<BigInt>,
        status -> Text,
        rate -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        closed_by -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    review_sample_claims (sample_id, claim_id) {
        sample_id -> Text,
        claim_id -> Text,
        selected -> Bool,
        payable_at_sampling -> BigInt,
        provider_id -> Text,
    }
}

diesel::table! {
    advances (id) {
        id -> Text,
        provider_id -> Text,
        office_id -> Text,
        service_month -> Text,
        batch_id -> Text,
        claimed -> BigInt,
        percent -> Text,
        amount -> BigInt,
        due_on -> Date,
        status -> Text,
        paid_on -> Nullable<Date>,
        bank_reference -> Nullable<Text>,
        paid_recorded_by -> Nullable<Text>,
        settlement_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    settlements (id) {
        id -> Text,
        provider_id -> Text,
        office_id -> Text,
        service_month -> Text,
        claims_payable -> BigInt,
        adjustments -> BigInt,
        advances_netted -> BigInt,
        net_payable -> BigInt,
        due_on -> Date,
        late_payment_rate -> Nullable<Text>,
        status -> Text,
        payment_order_id -> Nullable<Text>,
        paid_on -> Nullable<Date>,
        bank_reference -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        carried_in -> BigInt,
        carried_to -> Nullable<Text>,
    }
}

diesel::table! {
    settlement_items (settlement_id, claim_id) {
        settlement_id -> Text,
        claim_id -> Text,
        kind -> Text,
        amount -> BigInt,
        provider_id -> Text,
    }
}

diesel::table! {
    payment_orders (id) {
        id -> Text,
        total -> BigInt,
        items -> Integer,
        status -> Text,
        bank_reference -> Nullable<Text>,
        paid_on -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reimbursements (id) {
        id -> Text,
        office_id -> Text,
        insured_id -> Text,
        main_insured_id -> Text,
        filed_by -> Text,
        benefit -> Text,
        setting -> Nullable<Text>,
        kind -> Nullable<Text>,
        provider_name -> Text,
        provider_kind -> Text,
        prescription_tracking_code -> Nullable<Text>,
        prescribed_on -> Nullable<Date>,
        admitted_on -> Nullable<Date>,
        discharged_on -> Nullable<Date>,
        diagnoses -> Text,
        travel -> Nullable<Text>,
        sheba -> Text,
        account_holder -> Text,
        status -> Text,
        paid_total -> BigInt,
        reimbursed -> BigInt,
        franchise -> BigInt,
        above_tariff -> BigInt,
        not_covered -> BigInt,
        machine_reimbursed -> Nullable<BigInt>,
        submitted_at -> Nullable<Timestamp>,
        proposal -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        payment_order_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reimbursement_lines (reimbursement_id, line_no) {
        reimbursement_id -> Text,
        line_no -> Integer,
        item_type -> Text,
        code -> Text,
        quantity -> Text,
        service_date -> Date,
        status -> Text,
        billed -> BigInt,
        tariff_amount -> BigInt,
        insurer_payable -> BigInt,
        patient_share -> BigInt,
        patient_gap -> BigInt,
        deducted -> BigInt,
        reasons -> Text,
        cost_sharing_rule -> Nullable<Text>,
        tariff_year -> Nullable<Integer>,
        tariff_status -> Nullable<Text>,
        renewable_on -> Nullable<Date>,
    }
}

diesel::table! {
    service_flags (id) {
        id -> Text,
        claim_id -> Text,
        line_no -> Integer,
        provider_id -> Text,
        office_id -> Text,
        insured_id -> Text,
        flagged_by -> Text,
        user_id -> Text,
        note -> Text,
        created_at -> Timestamp,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    report_months (office_id, provider_id, service_month) {
        office_id -> Text,
        provider_id -> Text,
        service_month -> Text,
        claims -> BigInt,
        lines -> BigInt,
        billed -> BigInt,
        insurer_payable -> BigInt,
        patient_share -> BigInt,
        patient_gap -> BigInt,
        deducted -> BigInt,
        decided -> BigInt,
        rejected -> BigInt,
        pending -> BigInt,
        pending_billed -> BigInt,
        pending_payable -> BigInt,
    }
}

diesel::table! {
    report_deductions (office_id, provider_id, service_month, reason) {
        office_id -> Text,
        provider_id -> Text,
        service_month -> Text,
        reason -> Text,
        lines -> BigInt,
        amount -> BigInt,
    }
}

diesel::table! {
    report_turnaround (office_id, month, stage, days) {
        office_id -> Text,
        month -> Text,
        stage -> Text,
        days -> BigInt,
        claims -> BigInt,
    }
}

diesel::table! {
    report_turnaround_providers (provider_id, month, stage, days, office_id) {
        provider_id -> Text,
        month -> Text,
        stage -> Text,
        days -> BigInt,
        office_id -> Text,
        provider_kind -> Text,
        claims -> BigInt,
    }
}

diesel::table! {
    report_objections (office_id, provider_id, service_month) {
        office_id -> Text,
        provider_id -> Text,
        service_month -> Text,
        objections -> BigInt,
        decided -> BigInt,
        upheld -> BigInt,
    }
}

diesel::table! {
    budgets (id) {
        id -> Text,
        year -> Integer,
        level -> Text,
        office_id -> Nullable<Text>,
        province_id -> Nullable<Integer>,
        benefit -> Text,
        amount_rials -> BigInt,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

// No `joinable!` between two claim-side tables (claims and the tables keyed by provider with it,
// migration 2026-12-01-120000_citus_distribution): a join between them must also match
// provider_id, the distribution key on Citus, so each is written with its own `.on(...)`.
diesel::joinable!(offices -> provinces (province_id));
diesel::joinable!(reimbursement_lines -> reimbursements (reimbursement_id));
diesel::joinable!(users -> offices (office_id));
diesel::joinable!(auth_tokens -> users (user_id));
diesel::joinable!(contracts -> providers (provider_id));
diesel::joinable!(coverage_periods -> insured_persons (insured_id));

diesel::allow_tables_to_appear_in_same_query!(
    provinces,
    report_months,
    report_deductions,
    report_turnaround,
    report_turnaround_providers,
    report_objections,
    offices,
    users,
    auth_tokens,
    api_keys,
    tariff_revisions,
    tariff_files,
    providers,
    contracts,
    contract_versions,
    contract_events,
    insured_persons,
    coverage_periods,
    claims,
    claim_lines,
    attachments,
    claim_batches,
    claim_batch_items,
    provider_month_totals,
    claim_reviews,
    review_decisions,
    objections,
    audit_events,
    audit_head,
    outbox,
    preauthorizations,
    case_attachments,
    review_samples,
    review_sample_claims,
    advances,
    settlements,
    settlement_items,
    payment_orders,
    reimbursements,
    reimbursement_lines,
    service_flags,
    budgets,
);

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

diesel::joinable!(offices -> provinces (province_id));
diesel::joinable!(users -> offices (office_id));
diesel::joinable!(auth_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    provinces,
    offices,
    users,
    auth_tokens,
    api_keys,
    tariff_revisions,
    tariff_files
);

//! Diesel's view of the tables in `migrations/` (kept by hand, checked by the tests).

diesel::table! {
    departments (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        department_id -> Nullable<Uuid>,
        disabled -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    channels (code) {
        code -> Text,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    workflows (channel, version) {
        channel -> Text,
        version -> Int4,
        created_at -> Timestamptz,
        created_by -> Nullable<Uuid>,
        routes -> Jsonb,
    }
}

diesel::table! {
    grants (id) {
        id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        channel -> Nullable<Text>,
        department_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        created_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_why -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Bytea,
        session_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        spent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_throttle (username, ip) {
        username -> Text,
        ip -> Text,
        consecutive_failures -> Int4,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        username -> Text,
        failed_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> Int8,
        occurred_at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        actor -> Nullable<Text>,
        action -> Text,
        draft_id -> Nullable<Uuid>,
        revision -> Nullable<Int4>,
        content_hash -> Nullable<Text>,
        stage -> Nullable<Text>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        detail -> Jsonb,
        ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_pending (id) {
        id -> Int8,
        occurred_at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        actor -> Nullable<Text>,
        action -> Text,
        draft_id -> Nullable<Uuid>,
        revision -> Nullable<Int4>,
        content_hash -> Nullable<Text>,
        stage -> Nullable<Text>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        detail -> Jsonb,
        ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    audit_head (singleton) {
        singleton -> Bool,
        seq -> Int8,
        hash -> Text,
        latest_at -> Nullable<Timestamptz>,
        max_lag -> Interval,
    }
}

diesel::table! {
    drafts (id) {
        id -> Uuid,
        channel -> Text,
        author_id -> Uuid,
        department_id -> Nullable<Uuid>,
        risk_level -> Text,
        status -> Text,
        current_stage -> Nullable<Text>,
        workflow_version -> Nullable<Int4>,
        revision -> Int4,
        round -> Int4,
        published_url -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        current_step -> Nullable<Int4>,
        current_stages -> Array<Text>,
        source_kind -> Text,
        source_origin -> Nullable<Text>,
        corrects -> Nullable<Uuid>,
        correction_note -> Nullable<Text>,
        corrected_by -> Nullable<Uuid>,
        due_at -> Nullable<Timestamptz>,
        overdue -> Bool,
        title -> Nullable<Text>,
        content_hash -> Nullable<Text>,
    }
}

diesel::table! {
    overdue_steps (draft_id, round, step) {
        draft_id -> Uuid,
        round -> Int4,
        step -> Int4,
        due_at -> Timestamptz,
        fired_at -> Timestamptz,
    }
}

diesel::table! {
    revisions (draft_id, number) {
        draft_id -> Uuid,
        number -> Int4,
        title -> Text,
        summary -> Text,
        body -> Text,
        format -> Text,
        content_hash -> Text,
        author_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    signoffs (id) {
        id -> Uuid,
        draft_id -> Uuid,
        revision -> Int4,
        round -> Int4,
        content_hash -> Text,
        stage -> Text,
        signer_id -> Uuid,
        decision -> Text,
        comment -> Nullable<Text>,
        checks -> Array<Text>,
        signed_at -> Timestamptz,
        on_behalf_of -> Nullable<Uuid>,
        acknowledged -> Array<Text>,
    }
}

diesel::table! {
    comments (id) {
        id -> Uuid,
        draft_id -> Uuid,
        author_id -> Uuid,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    department_quotas (id) {
        id -> Int8,
        department_id -> Uuid,
        monthly_items -> Int4,
        set_at -> Timestamptz,
        set_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        format -> Text,
        secret -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    lexicons (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        channels -> Nullable<Array<Text>>,
        version -> Int4,
        entry_count -> Int4,
        entries_sha256 -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    lexicon_entries (lexicon_id, position) {
        lexicon_id -> Uuid,
        position -> Int4,
        term -> Text,
        severity -> Text,
        suggestion -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    check_reports (id) {
        id -> Int8,
        draft_id -> Uuid,
        revision -> Int4,
        content_hash -> Text,
        lexicon_versions -> Jsonb,
        findings -> Jsonb,
        report_hash -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (seq) {
        seq -> Int8,
        id -> Uuid,
        webhook_id -> Uuid,
        event_type -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(users -> departments (department_id));

diesel::table! {
    delegations (id) {
        id -> Uuid,
        principal_id -> Uuid,
        delegate_id -> Uuid,
        stages -> Array<Text>,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        reason -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Uuid>,
    }
}

diesel::joinable!(grants -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(drafts -> users (author_id));
diesel::joinable!(comments -> drafts (draft_id));
diesel::joinable!(signoffs -> drafts (draft_id));
diesel::joinable!(lexicon_entries -> lexicons (lexicon_id));
diesel::joinable!(check_reports -> drafts (draft_id));

diesel::allow_tables_to_appear_in_same_query!(
    overdue_steps,
    delegations,
    departments,
    users,
    channels,
    workflows,
    grants,
    sessions,
    refresh_tokens,
    login_throttle,
    login_failures,
    audit_events,
    audit_head,
    audit_pending,
    drafts,
    revisions,
    signoffs,
    comments,
    department_quotas,
    webhooks,
    webhook_deliveries,
    lexicons,
    lexicon_entries,
    check_reports,
);

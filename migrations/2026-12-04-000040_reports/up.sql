-- SPEC §9: department quotas (信息报送任务) and the reads of the register
-- and the monthly bulletin.

-- Each setting is kept, never overwritten: a bulletin of a past month
-- shows the quota that was in force at that month's end, not today's.
CREATE TABLE department_quotas (
    id BIGSERIAL PRIMARY KEY,
    department_id UUID NOT NULL REFERENCES departments (id),
    monthly_items INTEGER NOT NULL CHECK (monthly_items BETWEEN 0 AND 1000),
    set_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    set_by UUID REFERENCES users (id)
);
CREATE INDEX department_quotas_by_department ON department_quotas (department_id, set_at DESC, id DESC);
CREATE INDEX department_quotas_by_setter ON department_quotas (set_by);

-- The register pages through publications by time, and the bulletin asks
-- each channel for its last publication: both read only these events.
CREATE INDEX audit_events_published ON audit_events (occurred_at, draft_id)
    WHERE to_status = 'published';

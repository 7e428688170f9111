-- What the PostGraphile peer needs in the tracker's database: derived values as SQL functions,
-- the way a PostGraphile user adds them ("computed columns" and custom queries/mutations).
--
-- Everything lives in its own schema `peer`: applying this file again replaces it, and
-- `drop schema peer cascade` removes it. Nothing in `public` is created or changed.
-- PostGraphile 5 exposes both `public` (the tables) and `peer` (these functions); a function
-- named `<table>_<field>` whose first parameter is that table's row becomes a field of the table's
-- type, whichever exposed schema it is in.
--
-- The numbers follow the tracker's progress rule (tracker/progress.py):
--   indicator  : (latest - baseline) / (target - baseline) * 100 clamped to 0..100; 0 without a
--                measurement or when target = baseline. Latest = by observed_at, then created_at.
--   milestone  : 100 when COMPLETED, else 0; overdue when due before today (Africa/Casablanca)
--                and neither COMPLETED nor CANCELLED.
--   commitment : sum(weight of COMPLETED) / sum(weight of non-CANCELLED) * 100; without counted
--                milestones the mean of its indicators' progress; without either 100 when the
--                commitment is COMPLETED, else 0.
--   plan       : mean progress of its non-CANCELLED commitments, 0 when none.
--   current plan of a collectivity: its non-DRAFT plan with the latest period_start (what an
--                anonymous reader of the tracker sees).

create schema if not exists peer;

-- Translated text ------------------------------------------------------------------------------
-- The tracker's `pick`: the asked language (its primary subtag, when supported), then ar, fr,
-- en, zgh, then any non-empty text. A single expression: PostgreSQL inlines it (and the
-- `*_in` wrappers below) into the query PostGraphile sends, so it costs no function call.
create or replace function peer.pick(t jsonb, lang text) returns text
language sql immutable parallel safe as $$
  select coalesce(
    case when lower(split_part(lang, '-', 1)) in ('ar', 'fr', 'en', 'zgh')
      then nullif(t ->> lower(split_part(lang, '-', 1)), '') end,
    nullif(t ->> 'ar', ''),
    nullif(t ->> 'fr', ''),
    nullif(t ->> 'en', ''),
    nullif(t ->> 'zgh', ''),
    jsonb_path_query_first(t, '$.* ? (@ != "")') #>> '{}'
  )
$$;
comment on function peer.pick(jsonb, text) is E'@behavior -*';

-- Required texts come back as '' when no translation exists (like the tracker), optional ones
-- as null.
create or replace function peer.collectivity_name_in(c public.collectivity, lang text) returns text
language sql stable parallel safe as $$ select coalesce(peer.pick(c.name, lang), '') $$;
create or replace function peer.action_plan_title_in(p public.action_plan, lang text) returns text
language sql stable parallel safe as $$ select coalesce(peer.pick(p.title, lang), '') $$;
create or replace function peer.commitment_title_in(c public.commitment, lang text) returns text
language sql stable parallel safe as $$ select coalesce(peer.pick(c.title, lang), '') $$;
create or replace function peer.commitment_description_in(c public.commitment, lang text) returns text
language sql stable parallel safe as $$ select peer.pick(c.description, lang) $$;
create or replace function peer.commitment_lead_unit_in(c public.commitment, lang text) returns text
language sql stable parallel safe as $$ select peer.pick(c.lead_unit, lang) $$;
create or replace function peer.milestone_title_in(m public.milestone, lang text) returns text
language sql stable parallel safe as $$ select coalesce(peer.pick(m.title, lang), '') $$;
create or replace function peer.indicator_name_in(i public.indicator, lang text) returns text
language sql stable parallel safe as $$ select coalesce(peer.pick(i.name, lang), '') $$;
create or replace function peer.evidence_title_in(e public.evidence, lang text) returns text
language sql stable parallel safe as $$ select coalesce(peer.pick(e.title, lang), '') $$;

-- Today in the tracker's time zone.
create or replace function peer.today() returns date
language sql stable parallel safe as $$ select (now() at time zone 'Africa/Casablanca')::date $$;
comment on function peer.today() is E'@behavior -*';

-- Milestones (single expressions: inlined) ------------------------------------------------------
create or replace function peer.milestone_is_overdue(m public.milestone) returns boolean
language sql stable parallel safe as $$
  select m.due_on < peer.today() and m.status not in ('COMPLETED', 'CANCELLED')
$$;
create or replace function peer.milestone_progress(m public.milestone) returns double precision
language sql stable parallel safe as $$
  select case when m.status = 'COMPLETED' then 100.0 else 0.0 end::double precision
$$;

-- Indicators -------------------------------------------------------------------------------------
-- The latest measurement: one index probe on (indicator_id, observed_at).
create or replace function peer.indicator_latest(i public.indicator) returns public.measurement
language sql stable parallel safe as $$
  select m.* from public.measurement m
  where m.indicator_id = i.id
  order by m.observed_at desc, m.created_at desc
  limit 1
$$;

create or replace function peer.indicator_progress(i public.indicator) returns double precision
language sql stable parallel safe as $$
  select case
    when i.target = i.baseline then 0.0
    else coalesce(
      least(100.0, greatest(0.0, (
        (select m.value from public.measurement m
         where m.indicator_id = i.id
         order by m.observed_at desc, m.created_at desc
         limit 1) - i.baseline) / (i.target - i.baseline) * 100.0)),
      0.0)
  end::double precision
$$;

-- Commitments ------------------------------------------------------------------------------------
-- The commitment rule on its inputs, one expression (inlined wherever it is used): the weight of
-- completed and of counted milestones, the number of indicators and the sum of their progress.
create or replace function peer.commitment_rule(
  status text, completed double precision, counted double precision,
  indicator_count bigint, indicator_total double precision
) returns double precision
language sql immutable parallel safe as $$
  select case
    when counted > 0 then least(100.0, greatest(0.0, completed / counted * 100.0))
    when indicator_count > 0 then least(100.0, greatest(0.0, indicator_total / indicator_count))
    when status = 'COMPLETED' then 100.0
    else 0.0
  end::double precision
$$;
comment on function peer.commitment_rule(text, double precision, double precision, bigint, double precision)
  is E'@behavior -*';

create or replace function peer.commitment_progress(c public.commitment) returns double precision
language sql stable parallel safe as $$
  select peer.commitment_rule(c.status, w.completed, w.counted, ind.n, ind.total)
  from (
    select coalesce(sum(m.weight) filter (where m.status = 'COMPLETED'), 0.0) as completed,
           coalesce(sum(m.weight) filter (where m.status <> 'CANCELLED'), 0.0) as counted
    from public.milestone m
    where m.commitment_id = c.id
  ) w
  cross join lateral (
    -- only looked at when no milestone counts
    select count(*) as n, sum(peer.indicator_progress(i)) as total
    from public.indicator i
    where i.commitment_id = c.id and w.counted <= 0
  ) ind
$$;

-- Plans ------------------------------------------------------------------------------------------
-- Written out over the plan's commitments rather than calling commitment_progress once per
-- commitment: 4x faster on a page of plans.
create or replace function peer.action_plan_progress(p public.action_plan) returns double precision
language sql stable parallel safe as $$
  select coalesce(least(100.0, greatest(0.0, avg(
    peer.commitment_rule(c.status, w.completed, w.counted, ind.n, ind.total)
  ))), 0.0)::double precision
  from public.commitment c
  cross join lateral (
    select coalesce(sum(m.weight) filter (where m.status = 'COMPLETED'), 0.0) as completed,
           coalesce(sum(m.weight) filter (where m.status <> 'CANCELLED'), 0.0) as counted
    from public.milestone m
    where m.commitment_id = c.id
  ) w
  cross join lateral (
    select count(*) as n, sum(peer.indicator_progress(i)) as total
    from public.indicator i
    where i.commitment_id = c.id and w.counted <= 0
  ) ind
  where c.plan_id = p.id and c.status <> 'CANCELLED'
$$;

-- Collectivities ---------------------------------------------------------------------------------
create or replace function peer.collectivity_current_plan(c public.collectivity) returns public.action_plan
language sql stable parallel safe as $$
  select p.* from public.action_plan p
  where p.collectivity_id = c.id and p.status <> 'DRAFT'
  order by p.period_start desc
  limit 1
$$;

-- Network summary: one root field `network` ------------------------------------------------------
-- Composite types become GraphQL object types (Network, KindSummary, StatusCount). Types are
-- dropped and made again, so a changed definition applies (the functions using them go too).
drop function if exists peer.network();
drop type if exists peer.network;
drop type if exists peer.kind_summary;
drop type if exists peer.status_count;
create type peer.kind_summary as (
  kind text,
  collectivity_count integer,
  plan_count integer,
  mean_progress double precision
);
create type peer.status_count as (status text, count integer);
comment on type peer.kind_summary is E'@name kind_summary';
comment on type peer.status_count is E'@name status_count';
create type peer.network as (
  collectivity_count integer,
  plan_count integer,
  commitment_count integer,
  milestone_count integer,
  overdue_milestone_count integer,
  mean_progress double precision,
  by_kind peer.kind_summary[],
  plans_by_status peer.status_count[],
  commitments_by_status peer.status_count[],
  milestones_by_status peer.status_count[]
);

-- Set-based (not one function call per commitment): the way the same figures would be written
-- by hand for a dashboard. Anonymous readers' view: DRAFT plans are left out.
create or replace function peer.network() returns peer.network
language sql stable parallel safe as $$
  with plans as (
    select p.id, p.status, c.kind
    from public.action_plan p
    join public.collectivity c on c.id = p.collectivity_id
    where p.status <> 'DRAFT'
  ),
  commitments as (
    select cm.id, cm.plan_id, cm.status
    from public.commitment cm
    join plans p on p.id = cm.plan_id
  ),
  milestones as (
    select m.commitment_id, m.status, m.weight, m.due_on
    from public.milestone m
    join commitments cm on cm.id = m.commitment_id
  ),
  weights as (
    select m.commitment_id,
           coalesce(sum(m.weight) filter (where m.status = 'COMPLETED'), 0.0) as completed,
           coalesce(sum(m.weight) filter (where m.status <> 'CANCELLED'), 0.0) as counted
    from milestones m
    group by m.commitment_id
  ),
  commitment_progress as (
    select cm.plan_id, cm.status,
      peer.commitment_rule(cm.status, coalesce(w.completed, 0.0), coalesce(w.counted, 0.0), ind.n, ind.total)
        as progress
    from commitments cm
    left join weights w on w.commitment_id = cm.id
    cross join lateral (
      select count(*) as n, sum(peer.indicator_progress(i)) as total
      from public.indicator i
      where i.commitment_id = cm.id and coalesce(w.counted, 0.0) <= 0
    ) ind
  ),
  plan_progress as (
    select p.id, p.kind,
      coalesce(least(100.0, greatest(0.0,
        avg(cp.progress) filter (where cp.status <> 'CANCELLED'))), 0.0) as progress
    from plans p
    left join commitment_progress cp on cp.plan_id = p.id
    group by p.id, p.kind
  ),
  kinds as (
    select k.kind, k.ord from unnest(array['REGION', 'PREFECTURE_PROVINCE', 'COMMUNE'])
      with ordinality as k(kind, ord)
  )
  select row(
    (select count(*) from public.collectivity)::integer,
    (select count(*) from plans)::integer,
    (select count(*) from commitments)::integer,
    (select count(*) from milestones)::integer,
    (select count(*) from milestones m
      where m.due_on < peer.today() and m.status not in ('COMPLETED', 'CANCELLED'))::integer,
    (select coalesce(avg(pp.progress), 0.0) from plan_progress pp)::double precision,
    array(
      select row(
        k.kind,
        (select count(*) from public.collectivity c where c.kind = k.kind)::integer,
        (select count(*) from plan_progress pp where pp.kind = k.kind)::integer,
        (select coalesce(avg(pp.progress), 0.0) from plan_progress pp where pp.kind = k.kind)::double precision
      )::peer.kind_summary
      from kinds k order by k.ord
    ),
    array(select row(p.status, count(*))::peer.status_count
          from plans p group by p.status order by p.status collate "C"),
    array(select row(cm.status, count(*))::peer.status_count
          from commitments cm group by cm.status order by cm.status collate "C"),
    array(select row(m.status, count(*))::peer.status_count
          from milestones m group by m.status order by m.status collate "C")
  )::peer.network
$$;
comment on type peer.network is E'@name network';
comment on function peer.network() is E'@name network';

-- Mutation: set a milestone's status, with the tracker's completion-date rule -------------------
-- (COMPLETED keeps its completion date or takes today; any other status clears it) and its
-- updated_at. VOLATILE: PostGraphile exposes it as the mutation `setMilestoneStatus`.
create or replace function peer.set_milestone_status(milestone_id uuid, status text)
returns public.milestone
language plpgsql volatile as $$
declare
  result public.milestone;
begin
  if status is null or status not in ('NOT_STARTED', 'IN_PROGRESS', 'COMPLETED', 'DELAYED', 'CANCELLED') then
    raise exception 'status must be one of NOT_STARTED, IN_PROGRESS, COMPLETED, DELAYED, CANCELLED'
      using errcode = '22023';
  end if;
  update public.milestone m
     set status = set_milestone_status.status,
         completed_on = case
           when set_milestone_status.status = 'COMPLETED' then coalesce(m.completed_on, peer.today())
         end,
         updated_at = now()
   where m.id = milestone_id
  returning m.* into result;
  if not found then
    raise exception 'no milestone %', milestone_id using errcode = 'P0002';
  end if;
  return result;
end
$$;
comment on function peer.set_milestone_status(uuid, text) is E'@name set_milestone_status';

-- Milestones across the network (root fields for the frontend-style reads) ----------------------
-- What a PostGraphile user writes for a list the generated `condition` cannot express (an
-- expression, a set of statuses, a date window): a STABLE set-returning function, which
-- PostGraphile serves as a connection (totalCount, paging) and PostgreSQL inlines. Milestones of
-- DRAFT plans are left out, as the tracker leaves them out for anonymous readers. Rows come in
-- the tracker's order (due date, then id).
create or replace function peer.overdue_milestones(collectivity_slug text default null)
returns setof public.milestone
language sql stable parallel safe as $$
  select m.* from public.milestone m
  join public.commitment c on c.id = m.commitment_id
  join public.action_plan p on p.id = c.plan_id and p.status <> 'DRAFT'
  where m.due_on < peer.today() and m.status not in ('COMPLETED', 'CANCELLED')
    and (collectivity_slug is null
         or p.collectivity_id = (select k.id from public.collectivity k where k.slug = collectivity_slug))
  order by m.due_on, m.id
$$;
comment on function peer.overdue_milestones(text) is E'@name overdue_milestones';

-- Milestones whose status is one of `statuses`, due between `due_after` and `due_before`
-- (inclusive), latest due date first (then id), as the tracker's `milestones(orderBy: DUE_ON_DESC)`.
create or replace function peer.milestones_due(
  statuses text[], due_after date, due_before date, collectivity_slug text default null
)
returns setof public.milestone
language sql stable parallel safe as $$
  select m.* from public.milestone m
  join public.commitment c on c.id = m.commitment_id
  join public.action_plan p on p.id = c.plan_id and p.status <> 'DRAFT'
  where m.status = any(statuses) and m.due_on between due_after and due_before
    and (collectivity_slug is null
         or p.collectivity_id = (select k.id from public.collectivity k where k.slug = collectivity_slug))
  order by m.due_on desc, m.id
$$;
comment on function peer.milestones_due(text[], date, date, text) is E'@name milestones_due';

-- Mutation: record a measurement of an indicator ------------------------------------------------
-- The tracker's checks (the indicator exists, a finite value, observed_at at most five minutes
-- ahead of now, a note of at most 2,000 characters) and the row as the tracker writes it (origin
-- MANUAL, the note trimmed, empty as null). Only the row: the tracker also writes an audit entry
-- and an outbox event in the same transaction, which the peer has no equivalent of. VOLATILE:
-- exposed as the mutation `recordMeasurement`.
create or replace function peer.record_measurement(
  indicator_id uuid, value double precision, observed_at timestamptz, note text default null
)
returns public.measurement
language plpgsql volatile as $$
declare
  result public.measurement;
begin
  if value is null or value in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) then
    raise exception 'value must be a finite number' using errcode = '22023';
  end if;
  if observed_at > now() + interval '5 minutes' then
    raise exception 'observedAt cannot be in the future' using errcode = '22023';
  end if;
  if length(btrim(note)) > 2000 then
    raise exception 'note is longer than 2000 characters' using errcode = '22023';
  end if;
  if not exists (select 1 from public.indicator i where i.id = record_measurement.indicator_id) then
    raise exception 'no indicator %', record_measurement.indicator_id using errcode = 'P0002';
  end if;
  insert into public.measurement (id, created_at, updated_at, indicator_id, value, observed_at, note, origin)
  values (gen_random_uuid(), now(), now(), record_measurement.indicator_id, record_measurement.value,
          record_measurement.observed_at, nullif(btrim(record_measurement.note), ''), 'MANUAL')
  returning * into result;
  return result;
end
$$;
comment on function peer.record_measurement(uuid, double precision, timestamptz, text) is E'@name record_measurement';

{#-
    Statistical secrecy for one mart (METRICS.md, publishing rule; DESIGN.md decision 4).

    `relation` is a CTE holding one row per cell: its dimensions, its population column (the
    distinct persons behind the cell) and its measures. Dimensions listed in `total_dims`
    carry a total row whose value is 'Tous'; `fixed_dims` have none (a month, a stage).

    Primary suppression: a cell counting fewer than `k` persons, or an unknown number (NULL),
    is suppressed. Secondary suppression: along every total dimension, a line (the cells that
    differ only in that dimension, with their total) never has exactly one suppressed cell,
    otherwise the total minus the others would give it back. When a line has one, the smallest
    open cell of the line is suppressed too (or the total, when no open cell is left);
    suppressing can create a new lone cell in another dimension, so passes repeat until one
    suppresses nothing more: a fixpoint, computed by a recursive CTE. Each pass only adds
    suppressed cells, so there are at most as many passes as cells (the tier L CRM of
    2026-11-26 needed six for the orders mart; a fixed number of passes, four then eight, was
    once run instead). The privacy guard verifies the result independently and stops
    publication if a lone cell remains.

    `denominators` are population columns a rate of the row is computed from (a cohort's
    prospects): a row is suppressed too when one of them is below k, or publishing the rate
    would give the small denominator back. `denominator_row` is the condition that identifies
    the row holding that denominator within its group (`stage = 'prospect'`), the group being
    the rows that share the `denominator_group` columns: when that row is suppressed, by
    primary or secondary suppression, the whole group is, since any rate of the group would
    give it back.

    Output: the dimensions, the population and the measures (NULL when suppressed) and
    `is_suppressed`.
-#}
{% macro suppress_small_cells(relation, population, measures, total_dims, fixed_dims=[], k=none,
                              denominators=[], denominator_row=none, denominator_group=[]) -%}
{%- set k = k if k is not none else min_cell_size() -%}
{%- set dims = fixed_dims + total_dims -%}
{%- set carried = dims + [population] + measures -%}
with recursive

-- One pass per iteration: `_changed` says whether the pass suppressed a cell, and the next
-- pass reads the previous one only while it did, so the last pass is the fixpoint.
secrecy_passes as (

    select
        {{ carried | join(', ') }},
        -- a cell whose population is unknown is not published either
        coalesce(
            {{ population }} < {{ k }}
            {%- for d in denominators %} or {{ d }} < {{ k }}{% endfor %},
            true
        ) as _suppressed,
        true as _changed
    from {{ relation }}

    union all

    select
        {{ carried | join(', ') }},
        _next,
        bool_or(_next <> _suppressed) over () as _changed
    from (

        select
            {{ carried | join(', ') }},
            _suppressed,
            {%- if denominator_row %}
            {%- set group = denominator_group %}
            (
                _closed
                or max(case when _closed and {{ denominator_row }} then 1 else 0 end)
                    over ({% if group %}partition by {{ group | join(', ') }}{% endif %}) = 1
            ) as _next
            {%- else %}
            _closed as _next
            {%- endif %}
        from (

            select
                {{ carried | join(', ') }},
                _suppressed,
                (
                    _suppressed
                    {%- for d in total_dims %}
                    or (_lone_{{ loop.index }} = 1 and not _suppressed and {{ d }} <> 'Tous' and _rank_{{ loop.index }} = 1)
                    or (_lone_{{ loop.index }} = 1 and _open_{{ loop.index }} = 0 and {{ d }} = 'Tous')
                    {%- endfor %}
                ) as _closed
            from (

                select
                    {{ carried | join(', ') }},
                    _suppressed
                    {%- for d in total_dims %}
                    {%- set others = dims | reject('equalto', d) | list %}
                    , sum(case when _suppressed then 1 else 0 end)
                        over ({% if others %}partition by {{ others | join(', ') }}{% endif %}) as _lone_{{ loop.index }}
                    , sum(case when not _suppressed and {{ d }} <> 'Tous' then 1 else 0 end)
                        over ({% if others %}partition by {{ others | join(', ') }}{% endif %}) as _open_{{ loop.index }}
                    , row_number() over (
                        partition by {% for o in others %}{{ o }}, {% endfor %}(_suppressed or {{ d }} = 'Tous')
                        order by {{ population }}, {{ d }}
                    ) as _rank_{{ loop.index }}
                    {%- endfor %}
                from secrecy_passes
                where _changed

            ) as lines

        ) as lines_closed

    ) as denominators_closed

),

published as (

    select
        {{ dims | join(', ') }},
        case when _suppressed then null else {{ population }} end as {{ population }},
        {%- for m in measures %}
        case when _suppressed then null else {{ m }} end as {{ m }},
        {%- endfor %}
        _suppressed as is_suppressed
    from secrecy_passes
    where not _changed

)

select * from published
{%- endmacro %}

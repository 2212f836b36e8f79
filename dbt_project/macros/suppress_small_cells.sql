{#-
    Statistical secrecy for one mart (METRICS.md, publishing rule; DESIGN.md decision 4).

    `relation` is a CTE holding one row per cell: its dimensions, its population column (the
    distinct persons behind the cell) and its measures. Dimensions listed in `total_dims`
    carry a total row whose value is 'Tous'; `fixed_dims` have none (a month, a stage).

    Primary suppression: a cell counting fewer than `k` persons is suppressed. Secondary
    suppression: along every total dimension, a line (the cells that differ only in that
    dimension, with their total) never has exactly one suppressed cell, otherwise the total
    minus the others would give it back. When a line has one, the smallest open cell of the
    line is suppressed too (or the total, when no open cell is left); suppressing can create
    a new lone cell in another dimension, so the pass repeats `passes` times. Four passes were
    once enough; the tier L CRM of 2026-11-26 needed six for the orders mart (three total
    dimensions), so eight are run (each is a few window functions over a mart's rows). The
    privacy guard verifies the result independently and stops publication if a lone cell
    remains.

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
{% macro suppress_small_cells(relation, population, measures, total_dims, fixed_dims=[], k=none, passes=8,
                              denominators=[], denominator_row=none, denominator_group=[]) -%}
{%- set k = k if k is not none else min_cell_size() -%}
{%- set dims = fixed_dims + total_dims -%}
{%- set carried = dims + [population] + measures -%}
with

pass_0 as (

    select
        {{ carried | join(', ') }},
        (
            {{ population }} < {{ k }}
            {%- for d in denominators %} or {{ d }} < {{ k }}{% endfor %}
        ) as _suppressed
    from {{ relation }}

),

{% for p in range(1, passes + 1) %}
pass_{{ p }}_lines as (

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
    from pass_{{ p - 1 }}

),

pass_{{ p }}_lines_closed as (

    select
        {{ carried | join(', ') }},
        (
            _suppressed
            {%- for d in total_dims %}
            or (_lone_{{ loop.index }} = 1 and not _suppressed and {{ d }} <> 'Tous' and _rank_{{ loop.index }} = 1)
            or (_lone_{{ loop.index }} = 1 and _open_{{ loop.index }} = 0 and {{ d }} = 'Tous')
            {%- endfor %}
        ) as _suppressed
    from pass_{{ p }}_lines

),

pass_{{ p }} as (

    select
        {{ carried | join(', ') }},
        {%- if denominator_row %}
        {%- set group = denominator_group %}
        (
            _suppressed
            or max(case when _suppressed and {{ denominator_row }} then 1 else 0 end)
                over ({% if group %}partition by {{ group | join(', ') }}{% endif %}) = 1
        ) as _suppressed
        {%- else %}
        _suppressed
        {%- endif %}
    from pass_{{ p }}_lines_closed

),
{% endfor %}

published as (

    select
        {{ dims | join(', ') }},
        case when _suppressed then null else {{ population }} end as {{ population }},
        {%- for m in measures %}
        case when _suppressed then null else {{ m }} end as {{ m }},
        {%- endfor %}
        _suppressed as is_suppressed
    from pass_{{ passes }}

)

select * from published
{%- endmacro %}

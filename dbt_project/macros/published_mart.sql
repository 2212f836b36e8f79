{#-
    A mart as published, period by period as model period_status says (disclosure/history.py):

    - closing periods: its aggregate's rows (every cell, unprotected, restricted), with each
      figure the mart's meta.disclosure declares, NULL where disclosure control made it secret,
      and its `<figure>_secret` flag; the secret cells come from the model disclosure_pattern
      (the `disclosure` Python package: primary and secondary suppression, proven by the audit);
    - open periods: the headline row only (every non-fixed dimension at 'Tous'), counts and
      amounts rounded, amounts that fail the primary rules secret, medians and ratios not
      published (disclosure/provisional.py);
    - frozen periods: the rows kept in history.<mart> when they closed, as they were.
    Figures a relation implies but the mart does not publish (virtual) stay in the aggregate.
-#}
{% macro published_mart(aggregate) -%}
{%- set pattern = ref('disclosure_pattern') -%}
{%- set status = ref('period_status') -%}
{%- set periods = source('history', 'periods') -%}
{%- if execute -%}
    {%- set frozen = adapter.get_relation(database=periods.database, schema=periods.schema,
                                          identifier=model.name) -%}
    {%- set spec = model.config.meta.get('disclosure') -%}
    {%- if not spec -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": a mart declares meta.disclosure (its figures and their bases).") }}
    {%- endif -%}
    {%- set dimensions = spec.get('dimensions') or {} -%}
    {%- set keys = [spec.period] + dimensions.keys() | list -%}
    {%- set figures = [] -%}
    {%- for name, figure in spec.figures.items() if not figure.get('virtual') -%}
        {%- do figures.append(name) -%}
    {%- endfor -%}
    {%- set types = {} -%}
    {%- for column in adapter.get_columns_in_relation(aggregate) -%}
        {%- do types.update({column.name: column.data_type}) -%}
    {%- endfor -%}
    {%- set k = income_min_cell_size() if spec.get('income_breakdown') else min_cell_size() -%}
    {%- set count_rounding = var('provisional_count_rounding') * k -%}
    {%- set amount_rounding = var('provisional_amount_rounding_eur') %}
with

status as (

    select period, status from {{ status }} where mart = '{{ model.name }}'

),

cells as (

    select cells.*, status.status
    from {{ aggregate }} as cells
    inner join status on status.period = cast(cells.{{ spec.period }} as date)
    where status.status = 'closing'
        or (status.status = 'open'
            {%- for name, how in dimensions.items() if how != 'fixed' %}
            and cells.{{ name }} = 'Tous'
            {%- endfor %})

),

secrets as (

    select
        cell_number
        {%- for f in figures %},
        bool_or(figure = '{{ f }}') as {{ f }}_secret
        {%- endfor %}
    from {{ pattern }}
    where mart = '{{ model.name }}'
    group by cell_number

),

published as (

    select
        {%- for key in keys %}
        cells.{{ key }},
        {%- endfor %}
        {%- for f in figures %}
        {%- set kind = spec.figures[f].kind %}
        {%- set type = types[f] %}
        case
            when coalesce(secrets.{{ f }}_secret, false) then null
            {%- if kind == 'count' %}
            when cells.status = 'open' then cast(round(cells.{{ f }} / {{ count_rounding }}) * {{ count_rounding }} as {{ type }})
            {%- elif kind == 'amount' %}
            when cells.status = 'open' then cast(round(cells.{{ f }} / {{ amount_rounding }}) * {{ amount_rounding }} as {{ type }})
            {%- else %}
            when cells.status = 'open' then null
            {%- endif %}
            else cells.{{ f }}
        end as {{ f }},
        coalesce(secrets.{{ f }}_secret, false) as {{ f }}_secret{% if not loop.last %},{% endif %}
        {%- endfor %}
    from cells
    left join secrets on secrets.cell_number = cells.cell_number

)

select * from published
{%- if frozen is not none %}

union all by name

{%- set kept_columns = adapter.get_columns_in_relation(frozen) | map(attribute='name') | list %}
select
    {%- for key in keys %}
    kept.{{ key }},
    {%- endfor %}
    {%- for f in figures %}
    {#- A figure the period was frozen without (a definition changed since) was not published then. #}
    {%- if f in kept_columns %}
    kept.{{ f }},
    kept.{{ f }}_secret{% if not loop.last %},{% endif %}
    {%- else %}
    cast(null as {{ types[f] }}) as {{ f }},
    false as {{ f }}_secret{% if not loop.last %},{% endif %}
    {%- endif %}
    {%- endfor %}
from {{ frozen }} as kept
inner join status on status.period = cast(kept.{{ spec.period }} as date) and status.status = 'frozen'
{%- endif %}
{%- else -%}
select * from {{ aggregate }}
{%- endif -%}
{%- endmacro %}

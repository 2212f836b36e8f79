{#-
    A mart as published: its aggregate's rows (every cell, unprotected, restricted), with each
    figure the mart's meta.disclosure declares, NULL where disclosure control made it secret,
    and its `<figure>_secret` flag. The secret cells come from the model disclosure_pattern
    (the `disclosure` Python package: primary and secondary suppression, proven by the audit).
    Figures a relation implies but the mart does not publish (virtual) stay in the aggregate.
-#}
{% macro published_mart(aggregate) -%}
{%- set pattern = ref('disclosure_pattern') -%}
{%- if execute -%}
    {%- set spec = model.config.meta.get('disclosure') -%}
    {%- if not spec -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": a mart declares meta.disclosure (its figures and their bases).") }}
    {%- endif -%}
    {%- set keys = [spec.period] + (spec.get('dimensions') or {}).keys() | list -%}
    {%- set figures = [] -%}
    {%- for name, figure in spec.figures.items() if not figure.get('virtual') -%}
        {%- do figures.append(name) -%}
    {%- endfor %}
with

cells as (

    select * from {{ aggregate }}

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
        {%- for k in keys %}
        cells.{{ k }},
        {%- endfor %}
        {%- for f in figures %}
        case when coalesce(secrets.{{ f }}_secret, false) then null else cells.{{ f }} end as {{ f }},
        coalesce(secrets.{{ f }}_secret, false) as {{ f }}_secret{% if not loop.last %},{% endif %}
        {%- endfor %}
    from cells
    left join secrets on secrets.cell_number = cells.cell_number

)

select * from published
{%- else -%}
select * from {{ aggregate }}
{%- endif -%}
{%- endmacro %}

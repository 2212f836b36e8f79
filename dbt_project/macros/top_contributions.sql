{#-
    For the dominance (p %) rule on an amount: per cell, the amount, the persons contributing to
    it, and the two largest contributions of one person (`<name>`, `<name>__persons`,
    `<name>__top1`, `<name>__top2`). `relation` holds the cell's columns, `person_key` and the
    amount `value` of each fact.
-#}
{% macro top_contributions(relation, cells, value, name, where='true') -%}
    select
        {{ cells | join(', ') }},
        sum(person_total) as {{ name }},
        count(*) as {{ name }}__persons,
        max(case when contribution_rank = 1 then person_total end) as {{ name }}__top1,
        max(case when contribution_rank = 2 then person_total end) as {{ name }}__top2
    from (
        select
            {{ cells | join(', ') }},
            person_total,
            row_number() over (partition by {{ cells | join(', ') }} order by person_total desc) as contribution_rank
        from (
            select {{ cells | join(', ') }}, person_key, sum({{ value }}) as person_total
            from {{ relation }}
            where {{ where }} and {{ value }} is not null
            group by {{ cells | join(', ') }}, person_key
        ) as per_person
    ) as ranked
    group by {{ cells | join(', ') }}
{%- endmacro %}
